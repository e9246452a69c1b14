using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Lifecycle;

/// <summary>DELETE /auth/me (API.md "Account lifecycle").</summary>
public sealed class DeleteMeTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string WrongPassword = "definitely not the password 99";
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> DeleteAsync(string accessToken, object body) =>
        client.SendWithBearerAsync(HttpMethod.Delete, "/auth/me", accessToken, body);

    private async Task<long> CountAsync(string sql, object args)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<long>(sql, args);
    }

    [Fact]
    public async Task Delete_RemovesEverything_KeepsAScrubbedAuditTrail_ClearsCookie_MailsGoodbye_AndTheAddressCanSignUpAgain()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var other = await client.SigninAsync(email);
        Guid id;
        await using (var db = client.OpenDatabase())
            id = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        // The test host sends no client address: give the trail one, as a real request would.
        Assert.True(await CountAsync("""
            WITH u AS (UPDATE audit_events SET ip = '203.0.113.9', user_agent = 'Firefox', details = jsonb_build_object('email', @email::text)
                       WHERE user_id = @id RETURNING 1) SELECT count(*) FROM u
            """, new { id, email }) > 0);

        var response = await DeleteAsync(session.AccessToken, new { password = AuthClient.DefaultPassword });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var cleared = AuthClient.RefreshSetCookie(response);
        Assert.NotNull(cleared);
        Assert.Equal("", AuthClient.RefreshCookieValue(response));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM users WHERE id = @id", new { id }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM sessions WHERE user_id = @id", new { id }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM email_tokens WHERE user_id = @id", new { id }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM signups WHERE user_id = @id", new { id }));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM outbox_emails WHERE user_id = @id", new { id }));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", other.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.RefreshAsync(other.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email)).StatusCode);
        // The trail stays, without personal data.
        Assert.True(await CountAsync("SELECT count(*) FROM audit_events WHERE user_id = @id", new { id }) >= 3);
        Assert.Equal(0, await CountAsync("""
            SELECT count(*) FROM audit_events WHERE user_id = @id AND (ip IS NOT NULL OR user_agent IS NOT NULL OR details::text LIKE '%' || @email || '%')
            """, new { id, email }));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM audit_events WHERE user_id = @id AND kind = 'account_deleted' AND actor_id = @id", new { id }));
        // Goodbye mail.
        var mails = await client.EmailsAsync(email);
        Assert.Contains(mails, m => m.GetProperty("subject").GetString()!.Contains("was deleted", StringComparison.Ordinal));

        // The address is free again (the old account's verify mail is still in the mailbox: wait for the new one).
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        await client.WaitForEmailsAsync(email, mails.Length + 1);
        var token = await client.TokenFromEmailAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token })).StatusCode);
        await client.SigninAsync(email);
    }

    [Fact]
    public async Task WrongPassword_401_CountsTowardLockout_IsAudited_AndDeletesNothing()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);

        await ProblemAssert.IsProblemAsync(await DeleteAsync(session.AccessToken, new { password = WrongPassword }),
            HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.Equal(1, await CountAsync("SELECT count FROM signin_failures WHERE email = @email", new { email }));
        Assert.Equal(1, await CountAsync("""
            SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @email AND a.kind = 'account_delete_failed'
            """, new { email }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task HostileBodies_AreProblems_Not500()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);

        var missing = await ProblemAssert.IsProblemAsync(await DeleteAsync(session.AccessToken, new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(missing, "password"));
        var raw = new HttpRequestMessage(HttpMethod.Delete, "/auth/me") { Content = new ByteArrayContent([(byte)'{', 0xff, 0xfe, (byte)'}']) };
        raw.Headers.Authorization = new("Bearer", session.AccessToken);
        raw.Content.Headers.ContentType = new("application/json");
        await ProblemAssert.IsProblemAsync(await client.Http.SendAsync(raw), HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM users WHERE email = @email", new { email }));
    }
}
