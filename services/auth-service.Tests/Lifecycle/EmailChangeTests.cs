using System.Net;
using System.Net.Http.Json;
using System.Text;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Lifecycle;

/// <summary>POST /auth/email/change and /auth/email/confirm (API.md "Account lifecycle").</summary>
public sealed class EmailChangeTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string WrongPassword = "definitely not the password 99";
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ChangeAsync(string accessToken, object body) =>
        client.SendWithBearerAsync(HttpMethod.Post, "/auth/email/change", accessToken, body);

    private Task<HttpResponseMessage> ConfirmAsync(string token) => client.PostJsonAsync("/auth/email/confirm", new { token });

    /// <summary>A signed-in user who asked to move to a fresh address; returns the confirmation token.</summary>
    private async Task<(string Old, string New, SignedIn Session, string Token)> RequestedChangeAsync()
    {
        var old = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(old);
        var @new = AuthClient.NewEmail("moved");
        Assert.Equal(HttpStatusCode.Accepted, (await ChangeAsync(session.AccessToken, new { newEmail = @new, password = AuthClient.DefaultPassword })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        return (old, @new, session, await client.TokenFromEmailAsync(@new, "confirm-email-change"));
    }

    private async Task<long> CountAsync(string sql, object args)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<long>(sql, args);
    }

    [Fact]
    public async Task Confirm_MovesTheAccount_Verified_RevokesEverySession_AndMailsTheOldAddress()
    {
        var (old, @new, session, token) = await RequestedChangeAsync();
        var other = await client.SigninAsync(old);
        Assert.Contains(await client.EmailsAsync(old), m => m.GetProperty("subject").GetString()!.Contains("change of your", StringComparison.Ordinal));

        var response = await ConfirmAsync(token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(@new, user.GetProperty("email").GetString());
        Assert.True(user.GetProperty("emailVerified").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", other.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(old)).StatusCode);
        await client.SigninAsync(@new);
        Assert.Contains(await client.EmailsAsync(old), m => m.GetProperty("subject").GetString()!.Contains("email was changed", StringComparison.Ordinal));
        // Single use.
        await ProblemAssert.IsProblemAsync(await ConfirmAsync(token), HttpStatusCode.BadRequest, "invalid_token");
    }

    [Fact]
    public async Task Confirm_AnswersTheWholeUserObject_AsMeShowsIt()
    {
        // The confirmation once selected its own column list and answered roles [] for a user holding roles.
        var (old, @new, _, token) = await RequestedChangeAsync();
        await using (var db = client.OpenDatabase())
            await db.ExecuteAsync("UPDATE users SET roles = '{auditor}' WHERE email = @old", new { old });

        var confirmed = await (await ConfirmAsync(token)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        var session = await client.SigninAsync(@new);
        var me = await (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(["auditor"], confirmed.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(me.ToString(), confirmed.ToString());
    }

    [Fact]
    public async Task TakenAddress_SameAnswer_OwnerIsToldInstead_NoLinkMailed()
    {
        var taken = await client.CreateVerifiedUserAsync();
        var me = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(me);
        var free = AuthClient.NewEmail("free");

        var takenResponse = await ChangeAsync(session.AccessToken, new { newEmail = taken, password = AuthClient.DefaultPassword });
        var freeResponse = await ChangeAsync(session.AccessToken, new { newEmail = free, password = AuthClient.DefaultPassword });

        Assert.Equal(HttpStatusCode.Accepted, takenResponse.StatusCode);
        Assert.Equal(await freeResponse.Content.ReadAsStringAsync(), await takenResponse.Content.ReadAsStringAsync());
        await client.WaitForBackgroundWorkAsync();
        var toTaken = await client.EmailsAsync(taken);
        Assert.Contains(toTaken, m => m.GetProperty("subject").GetString()!.Contains("Someone tried to move", StringComparison.Ordinal));
        Assert.DoesNotContain(toTaken, m => m.GetProperty("text").GetString()!.Contains("confirm-email-change", StringComparison.Ordinal));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM email_tokens WHERE new_email = @taken", new { taken }));
    }

    [Fact]
    public async Task WrongPassword_401_CountsTowardLockout_AndIsAudited_NothingMailed()
    {
        var me = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(me);
        var @new = AuthClient.NewEmail("never");

        var response = await ChangeAsync(session.AccessToken, new { newEmail = @new, password = WrongPassword });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(1, await CountAsync("SELECT count FROM signin_failures WHERE email = @me", new { me }));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @me AND a.kind = 'email_change_failed'
            """, new { me }));
        await client.WaitForBackgroundWorkAsync();
        Assert.Empty(await client.EmailsAsync(@new));
    }

    [Fact]
    public async Task HostileInput_IsAValidationProblem_Not500()
    {
        var me = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(me);
        foreach (var bad in new[] { new string('a', 300) + "@example.com", "no-at-sign", "a\u0000b@example.com", "x\u202e@example.com" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, new { newEmail = bad, password = "x" }),
                HttpStatusCode.BadRequest, "validation_failed");
            Assert.Equal(["invalid_format"], ProblemAssert.FieldErrors(problem, "newEmail"));
        }
        var same = await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, new { newEmail = me.ToUpperInvariant(), password = "x" }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["unchanged"], ProblemAssert.FieldErrors(same, "newEmail"));
        var missing = await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "newEmail"));
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "password"));

        // Invalid UTF-8 in the body.
        var raw = new HttpRequestMessage(HttpMethod.Post, "/auth/email/confirm")
        {
            Content = new ByteArrayContent([.. Encoding.ASCII.GetBytes("{\"token\":\""), 0xff, 0xfe, .. Encoding.ASCII.GetBytes("\"}")]),
        };
        raw.Content.Headers.ContentType = new("application/json");
        await ProblemAssert.IsProblemAsync(await client.Http.SendAsync(raw), HttpStatusCode.BadRequest, "malformed_request");
        await ProblemAssert.IsProblemAsync(await ConfirmAsync("not a token \u0001"), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/email/confirm", new { }), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task TwoConfirmationsAtOnce_ExactlyOneSucceeds()
    {
        var (_, @new, _, token) = await RequestedChangeAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ConfirmAsync(token)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM users WHERE email = @new", new { @new }));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @new AND a.kind = 'email_changed'", new { @new }));
    }

    [Fact]
    public async Task AddressSignedUpMeanwhile_ConfirmIs400_NoDuplicateUser()
    {
        var (old, @new, _, token) = await RequestedChangeAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(@new)).StatusCode);

        await ProblemAssert.IsProblemAsync(await ConfirmAsync(token), HttpStatusCode.BadRequest, "invalid_token");

        Assert.Equal(1, await CountAsync("SELECT count(*) FROM users WHERE email = @new", new { @new }));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM users WHERE email = @old", new { old }));
    }

    [Fact]
    public async Task ConfirmRacingSignup_NeverTwoUsers_Never500()
    {
        for (var i = 0; i < 3; i++)
        {
            var (_, @new, _, token) = await RequestedChangeAsync();
            var confirm = ConfirmAsync(token);
            var signup = client.SignupAsync(@new);
            var answers = await Task.WhenAll(confirm, signup);
            Assert.Contains(answers[0].StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest });
            Assert.Equal(HttpStatusCode.Accepted, answers[1].StatusCode);
            Assert.Equal(1, await CountAsync("SELECT count(*) FROM users WHERE email = @new", new { @new }));
        }
    }

    [Fact]
    public async Task LockoutFollowsTheNewAddress()
    {
        var old = await client.CreateVerifiedUserAsync();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(old, WrongPassword)).StatusCode);
        var session = await client.SigninAsync(old); // a session clears the count...
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await ChangeAsync(session.AccessToken, new { newEmail = "x" + old, password = WrongPassword })).StatusCode);
        var @new = AuthClient.NewEmail("moved");
        Assert.Equal(HttpStatusCode.Accepted, (await ChangeAsync(session.AccessToken, new { newEmail = @new, password = AuthClient.DefaultPassword })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var token = await client.TokenFromEmailAsync(@new, "confirm-email-change");

        Assert.Equal(HttpStatusCode.OK, (await ConfirmAsync(token)).StatusCode);

        Assert.Equal(3, await CountAsync("SELECT count FROM signin_failures WHERE email = @new", new { @new }));
    }

    [Fact]
    public async Task PasswordChange_VoidsAPendingEmailChangeLink()
    {
        var (_, @new, session, token) = await RequestedChangeAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = "the passphrase after the change 5" })).StatusCode);

        await ProblemAssert.IsProblemAsync(await ConfirmAsync(token), HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM users WHERE email = @new", new { @new }));
    }
}
