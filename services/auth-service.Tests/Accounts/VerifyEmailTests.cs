using System.Net;
using System.Security.Cryptography;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Accounts;

/// <summary>POST /auth/verify-email and its effect on signin.</summary>
public sealed class VerifyEmailTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task VerifyEmail_ValidToken_Answers200WithVerifiedUser()
    {
        var email = AuthClient.NewEmail();
        var before = fixture.Factory.Clock.GetUtcNow();
        await client.SignupAsync(email, displayName: "  Ada Lovelace ");
        var token = await client.TokenFromEmailAsync(email);

        var response = await client.PostJsonAsync("/auth/verify-email", new { token });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var user = await TestJson.ReadAsync(response);
        TestJson.AssertUser(user, email, emailVerified: true, displayName: "Ada Lovelace");
        var createdAt = DateTimeOffset.Parse(user.GetProperty("createdAt").GetString()!);
        Assert.InRange(createdAt, before.AddSeconds(-1), fixture.Factory.Clock.GetUtcNow().AddSeconds(1));

        await using var db = client.OpenDatabase();
        var row = await db.QuerySingleAsync<(Guid Id, DateTime? VerifiedAt)>(
            "SELECT id, email_verified_at FROM users WHERE email = @email", new { email });
        Assert.Equal(row.Id, Guid.Parse(user.GetProperty("id").GetString()!));
        Assert.NotNull(row.VerifiedAt);
    }

    [Fact]
    public async Task VerifyEmail_SecondUseOfToken_IsInvalidToken()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var token = await client.TokenFromEmailAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token })).StatusCode);

        var again = await client.PostJsonAsync("/auth/verify-email", new { token });

        var problem = await ProblemAssert.IsProblemAsync(again, HttpStatusCode.BadRequest, "invalid_token");
        Assert.DoesNotContain(token, problem.ToString()); // never echo a token
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("not a token at all, with spaces and punctuation!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%")]
    public async Task VerifyEmail_GarbageToken_IsInvalidToken(string token)
    {
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token }), HttpStatusCode.BadRequest, "invalid_token");
    }

    [Fact]
    public async Task VerifyEmail_UnknownWellFormedToken_IsInvalidToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(43, token.Length);

        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token }), HttpStatusCode.BadRequest, "invalid_token");
    }

    [Fact]
    public async Task VerifyEmail_TamperedToken_IsInvalidToken_RealTokenStillWorks()
    {
        // Well-formed but one character off a real token: it matches no stored hash.
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var token = await client.TokenFromEmailAsync(email);
        var tampered = (token[0] == 'A' ? 'B' : 'A') + token[1..];

        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = tampered }), HttpStatusCode.BadRequest, "invalid_token");
        // The real token still works afterwards.
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token })).StatusCode);
    }

    [Fact]
    public async Task VerifyEmail_MissingToken_IsValidationFailed()
    {
        var missing = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "token"));

        var empty = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = "" }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(empty, "token"));
    }

    [Fact]
    public async Task Signin_BeforeVerification_IsEmailNotVerified_AfterIs200()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email), HttpStatusCode.Forbidden, "email_not_verified");

        var token = await client.TokenFromEmailAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token })).StatusCode);

        var signedIn = await client.SigninAsync(email);
        TestJson.AssertUser(signedIn.Body.GetProperty("user"), email, emailVerified: true, displayName: null);
    }

    [Fact]
    public async Task Signin_BeforeVerification_WithWrongPassword_IsInvalidCredentials_NotEmailNotVerified()
    {
        // email_not_verified only after the password was checked: otherwise it reveals the account.
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, "not the right passphrase"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }
}

/// <summary>Verify-token expiry: its own service instance because it moves the clock by a day.</summary>
public sealed class VerifyEmailExpiryTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;

    public async Task InitializeAsync() => factory = await AuthServiceFactory.CreateAsync();

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task VerifyEmail_TokenOlderThan24Hours_IsInvalidToken_YoungerStillWorks()
    {
        var client = new AuthClient(factory);
        var late = AuthClient.NewEmail("late");
        var onTime = AuthClient.NewEmail("ontime");
        await client.SignupAsync(late);
        await client.SignupAsync(onTime);
        var lateToken = await client.TokenFromEmailAsync(late);
        var onTimeToken = await client.TokenFromEmailAsync(onTime);

        factory.Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = onTimeToken })).StatusCode);

        factory.Clock.Advance(TimeSpan.FromHours(2)); // 25 hours after signup
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = lateToken }), HttpStatusCode.BadRequest, "invalid_token");
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(late), HttpStatusCode.Forbidden, "email_not_verified");

        // A fresh link from resend-verification works.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/resend-verification", new { email = late })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var freshToken = await client.TokenFromEmailAsync(late);
        Assert.NotEqual(lateToken, freshToken);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = freshToken })).StatusCode);
    }
}
