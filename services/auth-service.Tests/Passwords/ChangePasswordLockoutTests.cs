using System.Net;
using System.Text.Json;
using AuthService.Tests.Abuse;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Tokens;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>
/// POST /auth/password/change checks a password, so it is a guessing oracle like signin (API.md: "a
/// wrong current password counts toward the email's lockout"): one counter per email for both.
/// </summary>
public sealed class ChangePasswordLockoutTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const int MaxFailures = 10;
    private const string WrongPassword = "definitely not the password 99";
    private const string NewPassword = "the passphrase after the change 5";
    private static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ChangeAsync(string accessToken, string currentPassword) =>
        client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", accessToken, new { currentPassword, newPassword = NewPassword });

    private async Task<int?> FailureCountAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return await db.QuerySingleOrDefaultAsync<int?>("SELECT count FROM signin_failures WHERE email = @email", new { email });
    }

    private async Task<string> PasswordHashAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email }) ?? "";
    }

    private static async Task AssertLockedAsync(HttpResponseMessage response)
    {
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests, "account_locked");
        Assert.InRange(AbuseKit.RetryAfterSeconds(response), (int)LockoutDuration.TotalSeconds - 5, (int)LockoutDuration.TotalSeconds);
    }

    [Fact]
    public async Task WrongCurrentPassword_CountsTowardTheEmailsLockout_IsAudited_AndLocksSigninToo()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var sessionId = TestKeys.Segment(session.AccessToken, 1).GetProperty("sid").GetString();

        await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(1, await FailureCountAsync(email));
        await using (var db = client.OpenDatabase())
        {
            var (userId, details) = await db.QuerySingleAsync<(Guid?, string)>(
                "SELECT user_id, details::text FROM audit_events WHERE kind = 'password_change_failed' AND details->>'email' = @email", new { email });
            Assert.Equal(await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email }), userId);
            var detail = JsonDocument.Parse(details).RootElement;
            Assert.Equal(1, detail.GetProperty("failures").GetInt32());
            Assert.Equal(sessionId, detail.GetProperty("sessionId").GetString());
            Assert.DoesNotContain(WrongPassword, details);
        }

        for (var i = 1; i < MaxFailures; i++)
            await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(MaxFailures, await FailureCountAsync(email));
        await AssertLockedAsync(await client.SigninRawAsync(email));
        await AssertLockedAsync(await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword));
    }

    [Fact]
    public async Task LockedBySignins_ChangeWithTheRightPassword_Is429_Unchecked_ChangesNothing()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        for (var i = 0; i < MaxFailures; i++)
            await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
        var hash = await PasswordHashAsync(email);

        await AssertLockedAsync(await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword));

        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(MaxFailures, await FailureCountAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task SuccessfulChange_IssuesNoSession_SoItDoesNotClearTheCount()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        for (var i = 0; i < 3; i++)
            await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(HttpStatusCode.NoContent, (await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword)).StatusCode);

        // The change's own check was counted too; only a signin that issues a session clears the count.
        Assert.Equal(4, await FailureCountAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
        Assert.Null(await FailureCountAsync(email));
    }
}
