using System.Net;
using System.Text.Json;
using AuthService.Tests.Accounts;
using AuthService.Tests.Email;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Audit;

/// <summary>
/// audit_events: one row per security-relevant event, with who (user_id), what (kind), from where
/// (ip, user_agent), when (created_at, the service clock) and non-secret details; never a password or token.
/// </summary>
public sealed class AuditTrailTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private sealed record AuditRow(long Id, Guid? UserId, string Kind, string? Ip, string? UserAgent, DateTime CreatedAt, string? Details);

    private sealed record Flow(
        Guid UserId, string Email, OriginClient Origin, DateTime Started, DateTime Ended,
        Guid LoggedOutSession, Guid DeletedSession, List<string> Secrets);

    private OriginClient NewOrigin(string ip) => new(fixture.Factory, ip, $"AuditTests/1.0 (run {Guid.NewGuid():N})");

    private async Task<List<AuditRow>> RowsAsync(string sql, object parameters)
    {
        await using var db = client.OpenDatabase();
        return (await db.QueryAsync<AuditRow>($"""
            SELECT id AS Id, user_id AS UserId, kind AS Kind, ip AS Ip, user_agent AS UserAgent, created_at AS CreatedAt, details::text AS Details
            FROM audit_events WHERE {sql} ORDER BY id
            """, parameters)).ToList();
    }

    private static async Task<Guid> CurrentSessionIdAsync(OriginClient origin, string accessToken)
    {
        var sessions = await TestJson.ReadAsync(await origin.SendWithBearerAsync(HttpMethod.Get, "/auth/sessions", accessToken));
        return sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
    }

    /// <summary>Walks one account through every audited event, all from one client (IP + User-Agent).</summary>
    private async Task<Flow> RunWholeLifecycleAsync()
    {
        var origin = NewOrigin("203.0.113.10");
        var started = fixture.Factory.Clock.GetUtcNow().UtcDateTime;
        var realTime = System.Diagnostics.Stopwatch.StartNew();
        var secrets = new List<string>();
        var email = AuthClient.NewEmail("audit");
        var password = $"first audit passphrase {Guid.NewGuid():N}";
        var otherSignupPassword = $"second signup passphrase {Guid.NewGuid():N}";
        var wrongPassword = $"wrong audit passphrase {Guid.NewGuid():N}";
        var unknownPassword = $"unknown account passphrase {Guid.NewGuid():N}";
        var resetPassword = $"reset audit passphrase {Guid.NewGuid():N}";
        var changedPassword = $"changed audit passphrase {Guid.NewGuid():N}";
        secrets.AddRange([password, otherSignupPassword, wrongPassword, unknownPassword, resetPassword, changedPassword]);

        // signup, signup_existing_email, email_verified
        // (the second signup's link is the live one; after two signups it needs that signup's password)
        Assert.Equal(HttpStatusCode.Accepted, (await origin.PostJsonAsync("/auth/signup", new { email, password = otherSignupPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await origin.PostJsonAsync("/auth/signup", new { email, password })).StatusCode);
        var verifyToken = await client.TokenFromEmailAsync(email);
        secrets.Add(verifyToken);
        Assert.Equal(HttpStatusCode.OK, (await origin.PostJsonAsync("/auth/verify-email", new { token = verifyToken, password })).StatusCode);

        // signin_failed (known account, then unknown address), signin_succeeded
        Assert.Equal(HttpStatusCode.Unauthorized, (await origin.PostJsonAsync("/auth/signin", new { email, password = wrongPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await origin.PostJsonAsync("/auth/signin", new { email = AuthClient.NewEmail("audit-unknown"), password = unknownPassword })).StatusCode);
        var first = await origin.SigninAsync(email, password);

        // refresh_reused: a token two generations old comes back
        var second = await origin.RotateAsync(first.RefreshToken);
        var third = await origin.RotateAsync(second);
        secrets.AddRange([first.RefreshToken, first.AccessToken, second, third]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await origin.RefreshAsync(first.RefreshToken)).StatusCode);

        // logout
        var loggedOut = await origin.SigninAsync(email, password);
        var loggedOutId = await CurrentSessionIdAsync(origin, loggedOut.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, (await origin.CookieRequestAsync("/auth/logout", loggedOut.RefreshToken)).StatusCode);

        // session_revoked (DELETE /auth/sessions/{id}), then logout_all
        var deleted = await origin.SigninAsync(email, password);
        var keeper = await origin.SigninAsync(email, password);
        var deletedId = await CurrentSessionIdAsync(origin, deleted.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, (await origin.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{deletedId}", keeper.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await origin.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", keeper.AccessToken)).StatusCode);
        secrets.AddRange([loggedOut.RefreshToken, loggedOut.AccessToken, deleted.RefreshToken, deleted.AccessToken, keeper.RefreshToken, keeper.AccessToken]);

        // password_reset_requested, password_reset
        Assert.Equal(HttpStatusCode.Accepted, (await origin.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var resetToken = await client.TokenFromEmailAsync(email, "reset-password");
        secrets.Add(resetToken);
        Assert.Equal(HttpStatusCode.NoContent, (await origin.PostJsonAsync("/auth/password/reset", new { token = resetToken, newPassword = resetPassword })).StatusCode);

        // password_changed
        var last = await origin.SigninAsync(email, resetPassword);
        secrets.AddRange([last.RefreshToken, last.AccessToken]);
        var change = await origin.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", last.AccessToken,
            new { currentPassword = resetPassword, newPassword = changedPassword });
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);

        await using var db = client.OpenDatabase();
        var userId = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        // Refresh rotation reads the database's clock (offset to the test clock), which runs on in real time.
        var ended = fixture.Factory.Clock.GetUtcNow().UtcDateTime + realTime.Elapsed;
        return new Flow(userId, email, origin, started, ended, loggedOutId, deletedId, secrets);
    }

    [Fact]
    public async Task EveryAccountEvent_IsAudited_WithUserIpUserAgentAndTime()
    {
        var flow = await RunWholeLifecycleAsync();

        var rows = await RowsAsync("user_id = @UserId OR user_agent = @UserAgent", new { flow.UserId, flow.Origin.UserAgent });
        var expected = new (string Kind, Guid? UserId)[]
        {
            ("signup", flow.UserId),
            ("email_verified", flow.UserId),
            ("signin_failed", flow.UserId),
            ("signin_failed", null),
            ("signin_succeeded", flow.UserId),
            ("refresh_reused", flow.UserId),
            ("logout", flow.UserId),
            ("session_revoked", flow.UserId),
            ("logout_all", flow.UserId),
            ("password_reset_requested", flow.UserId),
            ("password_reset", flow.UserId),
            ("password_changed", flow.UserId),
        };
        var missing = expected.Where(e => !rows.Any(r => r.Kind == e.Kind && r.UserId == e.UserId)).ToList();
        Assert.True(missing.Count == 0,
            $"Missing audit events: {string.Join(", ", missing.Select(m => $"{m.Kind} (user {m.UserId?.ToString() ?? "null"})"))}; got: {string.Join(", ", rows.Select(r => $"{r.Kind}/{r.UserId}"))}");
        Assert.Contains(rows, r => r.Kind == "signup_existing_email" && r.UserId == flow.UserId); // it shows in the owner's history
        Assert.Equal(5, rows.Count(r => r.Kind == "signin_succeeded" && r.UserId == flow.UserId));

        foreach (var row in rows)
        {
            Assert.True(flow.Origin.Ip == row.Ip, $"{row.Kind}: ip {row.Ip ?? "null"}, expected {flow.Origin.Ip}");
            Assert.True(flow.Origin.UserAgent == row.UserAgent, $"{row.Kind}: user_agent {row.UserAgent ?? "null"}");
            var createdAt = DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc);
            Assert.True(createdAt >= flow.Started.AddMilliseconds(-1) && createdAt <= flow.Ended.AddMilliseconds(1),
                $"{row.Kind}: created_at {createdAt:O} is outside the flow ({flow.Started:O} – {flow.Ended:O})");
        }

        // The session events name the session they concern.
        Assert.Equal(flow.LoggedOutSession.ToString(), SessionIdOf(Assert.Single(rows, r => r.Kind == "logout")));
        Assert.Equal(flow.DeletedSession.ToString(), SessionIdOf(Assert.Single(rows, r => r.Kind == "session_revoked")));
    }

    private static string? SessionIdOf(AuditRow row)
    {
        Assert.NotNull(row.Details);
        using var details = JsonDocument.Parse(row.Details);
        return details.RootElement.GetProperty("sessionId").GetString();
    }

    [Fact]
    public async Task NoAuditRow_ContainsAPasswordOrToken()
    {
        var flow = await RunWholeLifecycleAsync();
        Assert.NotEmpty(await RowsAsync("user_id = @UserId", new { flow.UserId }));

        await using var db = client.OpenDatabase();
        // The search itself finds what is there (the client's User-Agent is in every row of the flow).
        Assert.True(await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_events a WHERE strpos(row_to_json(a)::text, @UserAgent) > 0", new { flow.Origin.UserAgent }) >= 12);
        foreach (var secret in flow.Secrets)
        {
            // Every column of every row of the table, as text.
            var hits = await db.QueryAsync<string>(
                "SELECT kind FROM audit_events a WHERE strpos(row_to_json(a)::text, @secret) > 0", new { secret });
            Assert.True(!hits.Any(), $"audit_events rows ({string.Join(", ", hits)}) contain a secret of length {secret.Length}");
        }
        // Nor do the logs.
        foreach (var secret in flow.Secrets)
            Assert.DoesNotContain(fixture.Factory.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SigninWithAnUnknownEmail_IsAuditedWithoutAUser()
    {
        var origin = NewOrigin("198.51.100.77");
        var unknown = AuthClient.NewEmail("nobody");

        await ProblemAssert.IsProblemAsync(
            await origin.PostJsonAsync("/auth/signin", new { email = unknown, password = "whatever passphrase they tried" }),
            HttpStatusCode.Unauthorized, "invalid_credentials");

        var row = Assert.Single(await RowsAsync("user_agent = @UserAgent", new { origin.UserAgent }));
        Assert.Equal("signin_failed", row.Kind);
        Assert.Null(row.UserId);
        Assert.Equal("198.51.100.77", row.Ip);
        Assert.DoesNotContain("whatever passphrase", row.Details ?? "");
    }

    [Fact]
    public async Task RefreshReuse_AuditRecordsTheReplayingClient_AndTheSessionsDevice()
    {
        var email = await client.CreateVerifiedUserAsync();
        var phone = NewOrigin("198.51.100.5");
        var replayer = NewOrigin("203.0.113.200");
        var signedIn = await phone.SigninAsync(email, AuthClient.DefaultPassword);
        await phone.RotateAsync(await phone.RotateAsync(signedIn.RefreshToken));

        Assert.Equal(HttpStatusCode.Unauthorized, (await replayer.RefreshAsync(signedIn.RefreshToken)).StatusCode);

        var row = Assert.Single(await RowsAsync("kind = 'refresh_reused' AND user_agent = @UserAgent", new { replayer.UserAgent }));
        Assert.Equal("203.0.113.200", row.Ip);
        Assert.Contains(phone.UserAgent, row.Details);
        Assert.Contains("198.51.100.5", row.Details);
    }

    [Fact]
    public async Task FailedOrRefusedActions_WriteNoSuccessEvents()
    {
        var email = await client.CreateVerifiedUserAsync();
        var origin = NewOrigin("198.51.100.8");
        var session = await origin.SigninAsync(email, AuthClient.DefaultPassword);

        // Wrong current password, policy violation, unknown reset token, someone else's session.
        await origin.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = "not the current passphrase", newPassword = "some new passphrase here" });
        await origin.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = "short" });
        await origin.PostJsonAsync("/auth/password/reset", new { token = new string('A', 43), newPassword = "some new passphrase here" });
        await origin.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{Guid.NewGuid()}", session.AccessToken);

        // The wrong current password is recorded as a failure (it counts toward the email's lockout); nothing else is.
        var kinds = (await RowsAsync("user_agent = @UserAgent", new { origin.UserAgent })).Select(r => r.Kind).ToList();
        Assert.Equal(["signin_succeeded", "password_change_failed"], kinds);
    }
}
