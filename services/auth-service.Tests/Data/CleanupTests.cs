using System.Net;
using AuthService.Data;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Data;

/// <summary>
/// CleanupService.RunOnceAsync deletes what no request can use any more, once it has been dead for
/// longer than the 7-day retention: expired or used email tokens, revoked or expired sessions (with
/// their refresh tokens), delivered mail, stale lockout rows. Live rows and unsent mail stay.
/// Each test has its own service, database and clock.
/// </summary>
public sealed class CleanupTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;
    private AuthClient client = null!;

    public async Task InitializeAsync()
    {
        // Short sessions, so one that is simply left alone expires within the test's 8 days.
        factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Auth:SessionLifetime"] = "1.00:00:00",
            ["Auth:RefreshTokenIdleLifetime"] = "1.00:00:00",
        });
        client = new AuthClient(factory);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    /// <summary>
    /// Rows are written dated relative to a moment this far ahead, and the clock is moved there just
    /// before RunOnceAsync: until then nothing is old enough, so the service's own startup cleanup
    /// cannot race the test for them.
    /// </summary>
    private static readonly TimeSpan AgeAfterInsert = TimeSpan.FromDays(7);

    private CleanupService Cleanup => factory.Services.GetRequiredService<CleanupService>();

    private DateTimeOffset Now => factory.Clock.GetUtcNow();

    private static Task WaitUntilAsync(NpgsqlConnection db, string sql, object? parameters = null) =>
        Wait.UntilAsync(() => db.ExecuteScalarAsync<bool>(sql, parameters), sql);

    private static Task<long[]> IdsAsync(NpgsqlConnection db, string sql, object? parameters = null) =>
        db.QueryAsync<long>(sql, parameters).ContinueWith(t => t.Result.ToArray());

    private async Task<Guid> SessionIdAsync(string accessToken)
    {
        var sessions = await Accounts.TestJson.ReadAsync(await client.GetWithBearerAsync("/auth/sessions", accessToken));
        return sessions.EnumerateArray().Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task RunOnce_RemovesVoidedSignupsAndDroppedMailPastRetention_KeepsRecentOnes()
    {
        await using var db = client.OpenDatabase();
        var email = await client.CreateVerifiedUserAsync();
        var userId = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        var old = Now - CleanupService.Retention - TimeSpan.FromHours(1);
        var recent = Now - TimeSpan.FromHours(1);
        var signups = await IdsAsync(db, """
            INSERT INTO signups (user_id, password_hash, created_at, voided_at)
            VALUES (@userId, 'x', @old, @old), (@userId, 'x', @old, @recent) RETURNING id
            """, new { userId, old, recent });
        var mail = await IdsAsync(db, """
            INSERT INTO outbox_emails ("to", kind, created_at, next_attempt_at, dropped_at)
            VALUES (@email, 'verify_email', @old, @old, @old), (@email, 'verify_email', @old, @old, @recent) RETURNING id
            """, new { email, old, recent });

        await Cleanup.RunOnceAsync(CancellationToken.None);

        Assert.Equal([signups[1]], await IdsAsync(db, "SELECT id FROM signups WHERE id = ANY(@signups)", new { signups }));
        Assert.Equal([mail[1]], await IdsAsync(db, "SELECT id FROM outbox_emails WHERE id = ANY(@mail)", new { mail }));
    }

    [Fact]
    public async Task RunOnce_RemovesMfaTokensAndWebAuthnChallengesPastRetention_KeepsRecentOnes()
    {
        await using var db = client.OpenDatabase();
        var email = await client.CreateVerifiedUserAsync();
        var userId = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        var old = Now - CleanupService.Retention - TimeSpan.FromHours(1);
        var recent = Now - TimeSpan.FromHours(1);
        byte[] oldHash = [1, 2, 3], usedHash = [4, 5, 6], recentHash = [7, 8, 9];
        await db.ExecuteAsync("""
            INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at, used_at)
            VALUES (@oldHash, @userId, @old, @old, NULL), (@usedHash, @userId, @old, @recent, @old), (@recentHash, @userId, @recent, @recent, NULL)
            """, new { oldHash, usedHash, recentHash, userId, old, recent });
        Guid oldChallenge = Guid.NewGuid(), recentChallenge = Guid.NewGuid();
        await db.ExecuteAsync("""
            INSERT INTO webauthn_challenges (id, user_id, purpose, options, created_at, expires_at)
            VALUES (@oldChallenge, NULL, 'signin', '{}', @old, @old), (@recentChallenge, @userId, 'register', '{}', @recent, @recent)
            """, new { oldChallenge, recentChallenge, userId, old, recent });

        await Cleanup.RunOnceAsync(CancellationToken.None);

        var hashes = await db.QueryAsync<byte[]>("SELECT token_hash FROM mfa_challenges WHERE user_id = @userId", new { userId });
        Assert.Equal([recentHash], hashes);
        Assert.Equal([recentChallenge], await db.QueryAsync<Guid>(
            "SELECT id FROM webauthn_challenges WHERE id = ANY(@ids)", new { ids = new[] { oldChallenge, recentChallenge } }));
    }

    [Fact]
    public async Task RunOnce_EightDaysLater_RemovesDeadRows_KeepsLiveOnes()
    {
        await using var db = client.OpenDatabase();

        // Day 0: a verified user (its verify token is used), a reset link that will expire, a
        // logged-out session with a rotated token chain, a session that is just left to expire.
        var email = await client.CreateVerifiedUserAsync();
        var userId = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var loggedOut = await client.SigninAsync(email);
        var loggedOutId = await SessionIdAsync(loggedOut.AccessToken);
        var rotated = AuthClient.RefreshCookieValue(await client.RefreshAsync(loggedOut.RefreshToken))!;
        rotated = AuthClient.RefreshCookieValue(await client.RefreshAsync(rotated))!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(rotated)).StatusCode);
        var abandonedId = await SessionIdAsync((await client.SigninAsync(email)).AccessToken);
        await WaitUntilAsync(db, "SELECT count(*) = 0 FROM outbox_emails WHERE sent_at IS NULL");
        var oldTokens = await IdsAsync(db, "SELECT id FROM email_tokens WHERE user_id = @userId", new { userId });
        var oldMail = await IdsAsync(db, "SELECT id FROM outbox_emails WHERE \"to\" = @email", new { email });
        Assert.Equal(2, oldTokens.Length); // verify (used) + reset (will expire)
        Assert.Equal(2, oldMail.Length);
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT generation FROM sessions WHERE id = @loggedOutId", new { loggedOutId }));

        factory.Clock.Advance(TimeSpan.FromDays(8) + TimeSpan.FromHours(1));

        // Day 8: a live session with a rotated chain, a live reset link, a session logged out
        // today (inside the retention), mail sent today, and mail never sent (old, but pending).
        var live = await client.SigninAsync(email);
        var liveId = await SessionIdAsync(live.AccessToken);
        var liveCookie = AuthClient.RefreshCookieValue(await client.RefreshAsync(live.RefreshToken))!;
        var recent = await client.SigninAsync(email);
        var recentId = await SessionIdAsync(recent.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(recent.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var liveResetToken = await client.TokenFromEmailAsync(email, "reset-password");
        await WaitUntilAsync(db, "SELECT count(*) = 0 FROM outbox_emails WHERE sent_at IS NULL");
        var unsentId = await db.ExecuteScalarAsync<long>("""
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at)
            VALUES (@email, 'pending', 'pending', '<p>pending</p>', @old, @later) RETURNING id
            """, new { email, old = Now - TimeSpan.FromDays(30), later = Now + TimeSpan.FromDays(365) });
        var newTokens = await IdsAsync(db, "SELECT id FROM email_tokens WHERE user_id = @userId AND NOT (id = ANY(@oldTokens))", new { userId, oldTokens });
        var newMail = await IdsAsync(db, "SELECT id FROM outbox_emails WHERE \"to\" = @email AND sent_at IS NOT NULL AND NOT (id = ANY(@oldMail))", new { email, oldMail });
        Assert.Single(newTokens);
        Assert.Single(newMail);

        var deleted = await Cleanup.RunOnceAsync(CancellationToken.None);

        Assert.True(deleted >= oldTokens.Length + oldMail.Length + 2, $"RunOnceAsync reported {deleted} rows");
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM email_tokens WHERE id = ANY(@oldTokens)", new { oldTokens }));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails WHERE id = ANY(@oldMail)", new { oldMail }));
        var deadSessions = new[] { loggedOutId, abandonedId };
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM sessions WHERE id = ANY(@deadSessions)", new { deadSessions }));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM refresh_tokens WHERE session_id = ANY(@deadSessions)", new { deadSessions }));

        Assert.Equal(newTokens, await IdsAsync(db, "SELECT id FROM email_tokens WHERE id = ANY(@newTokens)", new { newTokens }));
        Assert.Equal(newMail, await IdsAsync(db, "SELECT id FROM outbox_emails WHERE id = ANY(@newMail)", new { newMail }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails WHERE id = @unsentId", new { unsentId }));
        var keptSessions = new[] { liveId, recentId };
        Assert.Equal(2, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM sessions WHERE id = ANY(@keptSessions)", new { keptSessions }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT generation FROM sessions WHERE id = @liveId", new { liveId }));
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE id = @userId", new { userId }));

        // What was kept still works.
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(liveCookie)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostJsonAsync("/auth/password/reset", new { token = liveResetToken, newPassword = "after the cleanup passphrase" })).StatusCode);
    }

    [Fact]
    public async Task RunOnce_KeepsRowsDeadForLessThanSevenDays_RemovesThoseDeadLonger()
    {
        await using var db = client.OpenDatabase();
        var userId = await InsertUserAsync(db);
        var now = Now + AgeAfterInsert;
        var eightDaysAgo = now - TimeSpan.FromDays(8);
        var sixDaysAgo = now - TimeSpan.FromDays(6);
        var later = now + TimeSpan.FromDays(1);

        long Token(DateTimeOffset expiresAt, DateTimeOffset? usedAt) => db.ExecuteScalar<long>("""
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at, used_at)
            VALUES (@userId, 'reset', @hash, @created, @expiresAt, @usedAt) RETURNING id
            """, new { userId, hash = Guid.NewGuid().ToByteArray(), created = now - TimeSpan.FromDays(20), expiresAt, usedAt });
        var tokenExpired8 = Token(eightDaysAgo, null);
        var tokenUsed8 = Token(later, eightDaysAgo);
        var tokenExpired6 = Token(sixDaysAgo, null);
        var tokenUsed6 = Token(later, sixDaysAgo);
        var tokenLive = Token(later, null);

        var sessionRevoked8 = InsertSession(db, userId, now, revokedAt: eightDaysAgo);
        var sessionExpired8 = InsertSession(db, userId, now, expiresAt: eightDaysAgo);
        var sessionIdle8 = InsertSession(db, userId, now, idleExpiresAt: eightDaysAgo);
        var sessionRevoked6 = InsertSession(db, userId, now, revokedAt: sixDaysAgo);
        var sessionExpired6 = InsertSession(db, userId, now, expiresAt: sixDaysAgo);
        var sessionLive = InsertSession(db, userId, now);

        long Mail(DateTimeOffset? sentAt) => db.ExecuteScalar<long>("""
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at, sent_at, attempts)
            VALUES ('someone@example.com', 's', 't', '<p>h</p>', @created, @next, @sentAt, @attempts) RETURNING id
            """, new { created = now - TimeSpan.FromDays(30), next = now + TimeSpan.FromDays(365), sentAt, attempts = sentAt is null ? 0 : 1 });
        var mailSent8 = Mail(eightDaysAgo);
        var mailSent6 = Mail(sixDaysAgo);
        var mailUnsent = Mail(null);

        void Failures(string email, DateTimeOffset windowStart, DateTimeOffset? lockedUntil) => db.Execute(
            "INSERT INTO signin_failures (email, window_start, count, locked_until) VALUES (@email, @windowStart, 3, @lockedUntil)",
            new { email, windowStart, lockedUntil });
        Failures("stale@example.com", eightDaysAgo, null);
        Failures("stale-lock@example.com", eightDaysAgo, eightDaysAgo + TimeSpan.FromMinutes(15));
        Failures("locked@example.com", eightDaysAgo, later);
        Failures("fresh@example.com", now - TimeSpan.FromMinutes(5), null);

        factory.Clock.Advance(AgeAfterInsert);
        await Cleanup.RunOnceAsync(CancellationToken.None);

        Assert.Equal([tokenExpired6, tokenUsed6, tokenLive], (await IdsAsync(db, "SELECT id FROM email_tokens ORDER BY id")));
        Assert.Equal(new[] { sessionRevoked6, sessionExpired6, sessionLive }.Order(),
            (await db.QueryAsync<Guid>("SELECT id FROM sessions")).Order());
        Assert.Equal(new[] { sessionRevoked6, sessionExpired6, sessionLive }.Order(),
            (await db.QueryAsync<Guid>("SELECT DISTINCT session_id FROM refresh_tokens")).Order());
        Assert.Equal([mailSent6, mailUnsent], await IdsAsync(db, "SELECT id FROM outbox_emails ORDER BY id"));
        Assert.Equal(["fresh@example.com", "locked@example.com"], await db.QueryAsync<string>("SELECT email FROM signin_failures ORDER BY email"));
    }

    [Fact]
    public async Task RunOnce_BacklogLargerThanOneBatch_IsClearedInOneRun()
    {
        const int dead = 2 * CleanupService.BatchSize + 500;
        await using var db = client.OpenDatabase();
        var userId = await InsertUserAsync(db);
        var now = Now + AgeAfterInsert;
        var old = now - TimeSpan.FromDays(8);

        await db.ExecuteAsync("""
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at)
            SELECT @userId, 'verify', sha256(('dead-' || g)::bytea), @old - interval '1 day', @old FROM generate_series(1, @dead) g
            """, new { userId, old, dead });
        await db.ExecuteAsync("""
            WITH s AS (
                INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, revoked_at, revoked_reason)
                SELECT gen_random_uuid(), @userId, @old, @old, @later, @later, @old, 'logout' FROM generate_series(1, @dead)
                RETURNING id)
            INSERT INTO refresh_tokens (session_id, token_hash, created_at) SELECT id, sha256(id::text::bytea), @old FROM s
            """, new { userId, old, later = now + TimeSpan.FromDays(1), dead });
        await db.ExecuteAsync("""
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at, sent_at, attempts)
            SELECT 'bulk@example.com', 's', 't', '<p>h</p>', @old, @old, @old, 1 FROM generate_series(1, @dead)
            """, new { old, dead });
        var liveToken = await db.ExecuteScalarAsync<long>("""
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at)
            VALUES (@userId, 'reset', sha256('live'::bytea), @now, @later) RETURNING id
            """, new { userId, now, later = now + TimeSpan.FromHours(1) });
        var liveSession = InsertSession(db, userId, now);

        factory.Clock.Advance(AgeAfterInsert);
        var deleted = await Cleanup.RunOnceAsync(CancellationToken.None);

        Assert.Equal(3 * dead, deleted);
        Assert.Equal([liveToken], await IdsAsync(db, "SELECT id FROM email_tokens"));
        Assert.Equal([liveSession], await db.QueryAsync<Guid>("SELECT id FROM sessions"));
        Assert.Equal([liveSession], await db.QueryAsync<Guid>("SELECT DISTINCT session_id FROM refresh_tokens"));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails"));
    }

    private async Task<Guid> InsertUserAsync(NpgsqlConnection db)
    {
        var id = Guid.NewGuid();
        await db.ExecuteAsync("""
            INSERT INTO users (id, email, password_hash, email_verified_at, created_at, updated_at)
            VALUES (@id, @email, 'not-a-real-hash', @now, @now, @now)
            """, new { id, email = AuthClient.NewEmail("cleanup"), now = Now - TimeSpan.FromDays(60) });
        return id;
    }

    /// <summary>A session (live unless told otherwise) with a two-token rotated chain.</summary>
    private static Guid InsertSession(NpgsqlConnection db, Guid userId, DateTimeOffset now,
        DateTimeOffset? revokedAt = null, DateTimeOffset? expiresAt = null, DateTimeOffset? idleExpiresAt = null)
    {
        var id = Guid.NewGuid();
        var later = now + TimeSpan.FromDays(1);
        db.Execute("""
            INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, revoked_at, revoked_reason)
            VALUES (@id, @userId, @created, @created, @idle, @expires, @revokedAt, CASE WHEN @revokedAt::timestamptz IS NULL THEN NULL ELSE 'logout' END)
            """, new { id, userId, created = now - TimeSpan.FromDays(20), idle = idleExpiresAt ?? later, expires = expiresAt ?? later, revokedAt });
        db.Execute("""
            WITH newest AS (INSERT INTO refresh_tokens (session_id, token_hash, created_at) VALUES (@id, @newHash, @created) RETURNING id)
            INSERT INTO refresh_tokens (session_id, token_hash, created_at, retired_at, replaced_by)
            SELECT @id, @oldHash, @created, @created, newest.id FROM newest
            """, new { id, newHash = Guid.NewGuid().ToByteArray(), oldHash = Guid.NewGuid().ToByteArray(), created = now - TimeSpan.FromDays(20) });
        return id;
    }
}
