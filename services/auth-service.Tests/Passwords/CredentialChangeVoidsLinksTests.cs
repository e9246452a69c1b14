using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>A password change voids every open credential-bearing email link of the account, and drops their unsent mails.</summary>
public sealed class CredentialChangeVoidsLinksTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string NewPassword = "the changed passphrase of mine 5";
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task ChangePassword_VoidsAnOpenResetLink()
    {
        var email = await client.CreateVerifiedUserAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var resetToken = await client.TokenFromEmailAsync(email, "reset-password");
        var session = await client.SigninAsync(email);

        var changed = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/password/reset", new { token = resetToken, newPassword = "somebody else's passphrase 77" }),
            HttpStatusCode.BadRequest, "invalid_token");
        await client.SigninAsync(email, NewPassword);
        await using var db = client.OpenDatabase();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM email_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = @email AND t.used_at IS NULL", new { email }));
    }

    [Fact]
    public async Task ChangePassword_DropsAPendingResetMail_InTheSameTransaction()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        await using var db = client.OpenDatabase();
        // A reset mail queued but not yet due (as a throttled one waits for its interval).
        await db.ExecuteAsync("""
            INSERT INTO outbox_emails ("to", kind, user_id, created_at, next_attempt_at)
            SELECT email, 'password_reset', id, @now, @later FROM users WHERE email = @email
            """, new { email, now = fixture.Factory.Clock.GetUtcNow(), later = fixture.Factory.Clock.GetUtcNow().AddMinutes(1) });

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword })).StatusCode);

        Assert.Equal(1, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM outbox_emails WHERE \"to\" = @email AND kind = 'password_reset' AND dropped_at IS NOT NULL AND rendered_at IS NULL", new { email }));
    }
}
