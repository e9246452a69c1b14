using System.Net;
using System.Security.Cryptography;
using System.Text;
using AuthService.Passwords;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Accounts;

/// <summary>POST /auth/signup (API.md "Endpoints", "Normalization and policy").</summary>
public sealed class SignupTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task Signup_NewEmail_Answers202WithMessage()
    {
        var response = await client.SignupAsync(AuthClient.NewEmail());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await TestJson.ReadAsync(response);
        Assert.Equal(["message"], TestJson.PropertyNames(body));
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Signup_TakenEmail_AnswersExactlyLikeNewEmail()
    {
        var email = AuthClient.NewEmail();
        var first = await client.SignupAsync(email);
        var taken = await client.SignupAsync(email, "another perfectly fine passphrase", "Someone Else");
        var takenVerified = await client.CreateVerifiedUserAsync();
        var takenAfterVerify = await client.SignupAsync(takenVerified);
        var fresh = await client.SignupAsync(AuthClient.NewEmail());

        await TestJson.AssertIdenticalAcceptedAsync(first, taken, takenAfterVerify, fresh);
    }

    [Fact]
    public async Task Signup_QueuesVerificationEmail_WithAppLink()
    {
        var email = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        var emails = await client.EmailsAsync(email);
        var mail = Assert.Single(emails);
        Assert.Equal(email, mail.GetProperty("to").GetString());
        Assert.False(string.IsNullOrWhiteSpace(mail.GetProperty("subject").GetString()));
        var token = Assert.Single(TestJson.VerifyTokens(emails));
        Assert.Equal(43, token.Length); // 256 bits, base64url
        Assert.Contains($"https://app.test/verify-email?token={token}", mail.GetProperty("html").GetString());
        Assert.DoesNotContain(AuthClient.DefaultPassword, mail.GetProperty("text").GetString());
        Assert.DoesNotContain(AuthClient.DefaultPassword, mail.GetProperty("html").GetString());

        // The linked token is the one that verifies this account.
        var verify = await client.PostJsonAsync("/auth/verify-email", new { token });
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.Equal(email, (await TestJson.ReadAsync(verify)).GetProperty("email").GetString());
    }

    [Fact]
    public async Task Signup_VerifiedEmail_MailsOwnerANotice_NotASecondVerifyLink()
    {
        var email = await client.CreateVerifiedUserAsync();
        var verifySubject = Assert.Single(await client.EmailsAsync(email)).GetProperty("subject").GetString();

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, "another perfectly fine passphrase")).StatusCode);

        var emails = await client.EmailsAsync(email);
        Assert.Equal(2, emails.Length);
        var notice = emails[0]; // newest first
        Assert.Equal(email, notice.GetProperty("to").GetString());
        Assert.NotEqual(verifySubject, notice.GetProperty("subject").GetString());
        Assert.DoesNotContain("token=", notice.GetProperty("text").GetString());
        Assert.DoesNotContain("token=", notice.GetProperty("html").GetString());
        Assert.Single(TestJson.VerifyTokens(emails)); // still only the original link
    }

    [Fact]
    public async Task Signup_UnverifiedEmailAgain_MailsAFreshLink_AndVoidsTheOlder()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var older = await client.TokenFromEmailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, "another perfectly fine passphrase")).StatusCode);

        var tokens = TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 2));
        Assert.Equal(2, tokens.Length);
        Assert.Equal(older, tokens[1]);
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = older, password = AuthClient.DefaultPassword }),
            HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = tokens[0], password = "another perfectly fine passphrase" })).StatusCode);
    }

    [Fact]
    public async Task Signup_TakenEmail_DoesNotChangeTheExistingAccount()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email, displayName: "Original");
        await using var db = client.OpenDatabase();
        const string sql = "SELECT id, password_hash, display_name FROM users WHERE email = @email";
        var before = await db.QuerySingleAsync<(Guid, string, string)>(sql, new { email });

        await client.SignupAsync(email, "an attacker's chosen passphrase", "Attacker");

        Assert.Equal(before, await db.QuerySingleAsync<(Guid, string, string)>(sql, new { email }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = @email", new { email }));
    }

    [Fact]
    public async Task Signup_SameNewEmailInParallel_CreatesOneAccount_OneLiveSignup()
    {
        var email = AuthClient.NewEmail();

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.SignupAsync(email)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await using var db = client.OpenDatabase();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = @email", new { email }));
        Assert.Equal((4, 1), await db.QuerySingleAsync<(int, int)>(
            "SELECT count(*)::int, (count(*) FILTER (WHERE s.voided_at IS NULL))::int FROM signups s JOIN users u ON u.id = s.user_id WHERE u.email = @email", new { email }));
        // Every mail is a verification mail (an unverified address gets no notices); only the newest link is live.
        var emails = await client.EmailsAsync(email);
        var tokens = TestJson.VerifyTokens(emails);
        Assert.Equal(emails.Length, tokens.Length);
        foreach (var stale in tokens.Skip(1))
            await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = stale, password = AuthClient.DefaultPassword }), HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = tokens[0], password = AuthClient.DefaultPassword })).StatusCode);
    }

    [Fact]
    public async Task Signup_NormalizesEmail_TrimmedAndLowercased()
    {
        var id = Guid.NewGuid().ToString("N");
        var raw = $"  Mixed-{id.ToUpperInvariant()}@Example.COM  ";
        var normalized = $"mixed-{id}@example.com";

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(raw)).StatusCode);

        var mail = Assert.Single(await client.EmailsAsync(normalized));
        Assert.Equal(normalized, mail.GetProperty("to").GetString());
        await using var db = client.OpenDatabase();
        Assert.Equal([normalized], await db.QueryAsync<string>("SELECT email FROM users WHERE lower(email) = @normalized", new { normalized }));

        // The same address in another spelling is the same (still unverified) account: a fresh link to the same address.
        await client.SignupAsync($"MIXED-{id}@EXAMPLE.com");
        Assert.Equal(2, TestJson.VerifyTokens(await client.EmailsAsync(normalized)).Length);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE lower(email) = @normalized", new { normalized }));
    }

    public static TheoryData<string?, string?, string?, string, string> InvalidFields()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        return new()
        {
            { "not-an-email", AuthClient.DefaultPassword, null, "email", "invalid_format" },
            { "two@at@example.com", AuthClient.DefaultPassword, null, "email", "invalid_format" },
            { "nodomain@localhost", AuthClient.DefaultPassword, null, "email", "invalid_format" },
            { null, AuthClient.DefaultPassword, null, "email", "required" },
            { $"short-{unique}@example.com", "tooshort", null, "password", "too_short" },
            { $"short14-{unique}@example.com", "fourteen chars", null, "password", "too_short" },
            { $"long-{unique}@example.com", new string('x', 60) + " " + new string('y', 68), null, "password", "too_long" },
            { $"common-{unique}@example.com", "passwordpassword", null, "password", "too_common" },
            { $"common2-{unique}@example.com", "QWERTY123456789", null, "password", "too_common" },
            { $"walrus{unique}@example.com", $"my WALRUS{unique.ToUpperInvariant()} passphrase", null, "password", "contains_email" },
            { $"nopw-{unique}@example.com", null, null, "password", "required" },
            { $"name-{unique}@example.com", AuthClient.DefaultPassword, new string('n', 101), "displayName", "too_long" },
            { $"ctrl-{unique}@example.com", AuthClient.DefaultPassword, "Bob\u0007by", "displayName", "invalid_format" },
            { $"bidi-{unique}@example.com", AuthClient.DefaultPassword, "Bob\u202Eyb", "displayName", "invalid_format" },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public async Task Signup_InvalidField_IsValidationFailedWithFieldCode(string? email, string? password, string? displayName, string field, string code)
    {
        var response = await client.PostJsonAsync("/auth/signup", new { email, password, displayName });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([code], ProblemAssert.FieldErrors(problem, field));
        Assert.Equal([field], TestJson.PropertyNames(problem.GetProperty("errors"))); // the other fields are fine
        var text = problem.ToString();
        if (password is not null) Assert.DoesNotContain(password, text); // never echo a password

        // Nothing was created and nothing mailed.
        if (email is not null && EmailAddress.Normalize(email) is { } normalized)
        {
            Assert.Empty(await client.EmailsAsync(normalized));
            await using var db = client.OpenDatabase();
            Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = @normalized", new { normalized }));
        }
    }

    [Fact]
    public async Task Signup_SeveralInvalidFields_ReportsEachField()
    {
        var response = await client.PostJsonAsync("/auth/signup", new { email = "nope", password = "short", displayName = new string('n', 101) });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["invalid_format"], ProblemAssert.FieldErrors(problem, "email"));
        Assert.Equal(["too_short"], ProblemAssert.FieldErrors(problem, "password"));
        Assert.Equal(["too_long"], ProblemAssert.FieldErrors(problem, "displayName"));
    }

    [Fact]
    public async Task Signup_DisplayNameOf100Characters_AndNoDisplayName_AreAccepted()
    {
        var named = AuthClient.NewEmail();
        var name = new string('n', 100);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(named, displayName: $"  {name}  ")).StatusCode);
        var anonymous = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(anonymous)).StatusCode);

        await using var db = client.OpenDatabase();
        Assert.Equal(name, await db.ExecuteScalarAsync<string>("SELECT display_name FROM users WHERE email = @named", new { named }));
        Assert.Null(await db.ExecuteScalarAsync<string?>("SELECT display_name FROM users WHERE email = @anonymous", new { anonymous }));
    }

    [Fact]
    public async Task Signup_StoresArgon2idHash_NeverThePlainPassword()
    {
        var email = AuthClient.NewEmail();
        const string password = "a very distinctive passphrase 7731";
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, password)).StatusCode);

        await using var db = client.OpenDatabase();
        var hash = await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email });
        Assert.Matches(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$", hash);
        using var hasher = new Argon2id(Microsoft.Extensions.Options.Options.Create(new AuthService.Options.AuthOptions()));
        Assert.True(await hasher.VerifyAsync(hash!, password));

        // The password appears nowhere in what was stored for this signup.
        var stored = await db.QueryAsync<string>("""
            SELECT row_to_json(u)::text FROM users u WHERE email = @email
            UNION ALL SELECT row_to_json(t)::text FROM email_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = @email
            UNION ALL SELECT row_to_json(o)::text FROM outbox_emails o WHERE o."to" = @email
            UNION ALL SELECT row_to_json(a)::text FROM audit_events a
            """, new { email });
        Assert.NotEmpty(stored);
        Assert.All(stored, row => Assert.DoesNotContain("distinctive", row));
        Assert.DoesNotContain(fixture.Factory.Logs.Lines, line => line.Contains("distinctive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Signup_StoresOnlySha256OfVerifyToken_NeverTheToken()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var token = await client.TokenFromEmailAsync(email);

        await using var db = client.OpenDatabase();
        var rows = (await db.QueryAsync<(byte[] Hash, string Purpose, string Json)>("""
            SELECT t.token_hash, t.purpose, row_to_json(t)::text FROM email_tokens t JOIN users u ON u.id = t.user_id
            WHERE u.email = @email
            """, new { email })).ToList();
        var row = Assert.Single(rows);
        Assert.Equal("verify", row.Purpose);
        Assert.Equal(32, row.Hash.Length);
        Assert.Equal(SHA256.HashData(Encoding.UTF8.GetBytes(token)), row.Hash);
        Assert.DoesNotContain(token, row.Json);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(token)).ToLowerInvariant(), row.Json);

        // No table column anywhere holds the token text (the outbox body is the only place it may live).
        var columns = await db.QueryAsync<(string Table, string Column)>("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json') AND table_name <> 'outbox_emails'
            """);
        foreach (var (table, column) in columns)
        {
            var hits = await db.ExecuteScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE \"{column}\"::text LIKE '%' || @token || '%'", new { token });
            Assert.True(hits == 0, $"{table}.{column} contains the verify token");
        }
        Assert.DoesNotContain(fixture.Factory.Logs.Lines, line => line.Contains(token, StringComparison.Ordinal));
    }
}
