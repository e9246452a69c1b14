using AuthService.Audit;
using AuthService.Data;
using AuthService.Options;
using AuthService.Shared;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>Sessions (one refresh-token family per signin) and their revocation.</summary>
internal sealed class SessionStore(NpgsqlDataSource dataSource, IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly AuthOptions auth = options.Value;

    /// <summary>Starts a session; <paramref name="amr"/> (<see cref="AuthMethods"/>) says how its signin was made.</summary>
    public async Task<NewSession> CreateAsync(Guid userId, IReadOnlyList<string> amr, RequestOrigin origin, CancellationToken ct)
    {
        // Session (its first refresh token's hash on the row), the audit event and the end of the email's failure
        // count (SigninLockout) in one statement: atomic, one round trip. The count is cleared only here, when a
        // session is really issued, never by a check that stopped short of one.
        const string sql = $"""
            WITH cleared AS (
                DELETE FROM signin_failures WHERE email = (SELECT email FROM users WHERE id = @userId)),
            signed_in AS (
                UPDATE users SET last_signin_at = @now WHERE id = @userId),
            s AS (
                INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip, amr, current_hash)
                VALUES (@id, @userId, @now, @now, @idleExpiresAt, @expiresAt, @UserAgent, @Ip, @amr, @tokenHash)
                RETURNING id)
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
            SELECT @userId, '{AuditKinds.SigninSucceeded}', @Ip, @UserAgent, @now, jsonb_build_object('sessionId', id, 'amr', @amr) FROM s
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var secret = OpaqueToken.New();
        var expiresAt = now + auth.SessionLifetime;
        var idleExpiresAt = Min(now + auth.RefreshTokenIdleLifetime, expiresAt);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(sql, new
        {
            id, userId, now, idleExpiresAt, expiresAt, origin.UserAgent, origin.Ip, tokenHash = OpaqueToken.Hash(secret), amr = amr.ToArray(), ct,
        });
        var token = RefreshToken.Format(id, secret);
        return new NewSession(id, token, expiresAt);
    }

    /// <summary>The live session (not revoked, not expired, its user not disabled) with its user, or null: the check behind every bearer call.</summary>
    public async Task<LiveSession?> FindLiveSessionAsync(Guid sessionId, Guid userId, CancellationToken ct)
    {
        const string sql = $"""
            SELECT {UserRow.ColumnsOfU}, s.expires_at AS ExpiresAt, s.idle_expires_at AS IdleExpiresAt
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = @sessionId AND s.user_id = @userId AND s.revoked_at IS NULL AND u.disabled_at IS NULL
              AND s.expires_at > @now AND s.idle_expires_at > @now
            """;
        var now = clock.GetUtcNow();
        var found = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QuerySingleOrDefaultAsync<LiveSessionRow>(sql, new { sessionId, userId, now, token });
        }, ct);
        return found is { } r
            ? new LiveSession(new UserRow(r.Id, r.Email, r.EmailVerified, r.DisplayName, r.CreatedAt, r.Roles, r.Totp, r.Passkeys).ToResponse(),
                DbTime.Utc(r.ExpiresAt), DbTime.Utc(r.IdleExpiresAt))
            : null;
    }

    /// <summary>
    /// Revokes the session of a refresh token, its newest or the one before (a tab that has not seen the last rotation);
    /// a token of the previous release through <c>refresh_tokens</c>. Unknown tokens are ignored (logout is idempotent).
    /// </summary>
    public async Task RevokeByRefreshTokenAsync(RefreshToken token, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = $"""
            WITH revoked AS (
                UPDATE sessions SET revoked_at = @now, revoked_reason = '{RevocationReasons.Logout}'
                WHERE revoked_at IS NULL AND CASE
                    WHEN @sessionId::uuid IS NULL THEN id = (SELECT session_id FROM refresh_tokens WHERE token_hash = @tokenHash)
                    ELSE id = @sessionId AND (current_hash = @tokenHash OR previous_hash = @tokenHash) END
                RETURNING id, user_id)
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
            SELECT user_id, '{AuditKinds.Logout}', @Ip, @UserAgent, @now, jsonb_build_object('sessionId', id) FROM revoked
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(sql,
            new { sessionId = token.SessionId, tokenHash = token.SecretHash, origin.Ip, origin.UserAgent, now = clock.GetUtcNow(), ct });
    }

    public async Task LogoutEverywhereAsync(Guid userId, RequestOrigin origin, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var count = await RevokeAllForUserAsync(conn, tx, userId, RevocationReasons.LogoutAll, null, now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.LogoutAll, userId, origin, now, new SessionCountDetails(count), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Revokes every live session of a user but <paramref name="exceptSessionId"/>, inside the caller's transaction. Signins
    /// waiting for their second factor (mfaTokens) go too: a half-made session must not outlive a password change, a
    /// "log out everywhere" or a disabling that revoked the whole ones.
    /// </summary>
    internal static Task<int> RevokeAllForUserAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid userId, string reason,
        Guid? exceptSessionId, DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            WITH pending AS (DELETE FROM mfa_challenges WHERE user_id = @userId)
            UPDATE sessions SET revoked_at = @now, revoked_reason = @reason
            WHERE user_id = @userId AND revoked_at IS NULL AND id IS DISTINCT FROM @exceptSessionId
            """;
        return conn.ExecuteAsync(sql, new { userId, reason, exceptSessionId, now, ct }, tx);
    }

    public async Task<IReadOnlyList<SessionResponse>> ListLiveAsync(Guid userId, Guid currentSessionId, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, created_at AS CreatedAt, last_used_at AS LastUsedAt, expires_at AS ExpiresAt, user_agent AS UserAgent, ip AS Ip
            FROM sessions
            WHERE user_id = @userId AND revoked_at IS NULL AND expires_at > @now AND idle_expires_at > @now
            ORDER BY last_used_at DESC
            """;
        var now = clock.GetUtcNow();
        var rows = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QueryAsync<SessionRow>(sql, new { userId, now, token });
        }, ct);
        return rows.Select(r => new SessionResponse(r.Id, DbTime.Utc(r.CreatedAt), DbTime.Utc(r.LastUsedAt), DbTime.Utc(r.ExpiresAt), r.UserAgent, r.Ip, r.Id == currentSessionId)).ToList();
    }

    /// <summary>Revokes one of the user's own live sessions; false when it is not theirs or already gone.</summary>
    public async Task<bool> RevokeOwnAsync(Guid userId, Guid sessionId, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = $"""
            WITH revoked AS (
                UPDATE sessions SET revoked_at = @now, revoked_reason = '{RevocationReasons.Deleted}'
                WHERE id = @sessionId AND user_id = @userId AND revoked_at IS NULL
                RETURNING id)
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
            SELECT @userId, '{AuditKinds.SessionRevoked}', @Ip, @UserAgent, @now, jsonb_build_object('sessionId', id) FROM revoked
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(sql,
            new { userId, sessionId, origin.Ip, origin.UserAgent, now = clock.GetUtcNow(), ct }) == 1;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // The user's columns (UserRow.ColumnsOfU), then the session's lifetimes: one flat row, read without multi-mapping.
    internal sealed record LiveSessionRow(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt, string[] Roles,
        bool Totp, int Passkeys, DateTime ExpiresAt, DateTime IdleExpiresAt);

    internal sealed record SessionRow(Guid Id, DateTime CreatedAt, DateTime LastUsedAt, DateTime ExpiresAt, string? UserAgent, string? Ip);
}
