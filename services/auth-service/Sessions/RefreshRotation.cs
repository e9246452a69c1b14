using AuthService.Data;
using AuthService.Options;
using AuthService.Shared;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>
/// Rotates a refresh token. The newest token of a live session is rotated by <see cref="RefreshRotationBatcher"/>,
/// together with the refreshes arriving alongside it; anything it leaves is one call of <c>rotate_refresh_token_v3</c>
/// (<c>rotate_refresh_token_v3.sql</c> beside this file; v2 stays installed for the previous release's replicas), one
/// round trip, which for the newest token is one UPDATE of the session row by the id the token carries
/// (<see cref="RefreshToken"/>). The successor is an HMAC of the presented secret, so a request retried inside the grace
/// window is answered with the very same successor and every tab converges on one cookie; only the successor's hash is
/// stored. A reuse is revoked, audited and mailed to the owner in the database; an older token than the previous one is
/// first proven a genuine ancestor by walking that HMAC chain here, so a forged token revokes nothing.
/// </summary>
internal sealed class RefreshRotation(
    NpgsqlDataSource dataSource, RefreshRotationBatcher batcher, RefreshSuccessorKey successorKey, IOptions<AuthOptions> options, TimeProvider clock)
{
    private const string LockNotAvailable = "55P03";
    private readonly AuthOptions auth = options.Value;

    public async Task<RefreshResult> RotateAsync(string presented, RequestOrigin origin, CancellationToken ct)
    {
        if (!RefreshToken.TryParse(presented, out var token)) return new RefreshResult.Invalid();

        var successor = OpaqueToken.Successor(token.Secret, successorKey.Key);
        var successorHash = OpaqueToken.Hash(successor);
        // The common case, the newest token of a live session, goes with the refreshes arriving alongside it.
        if (token.SessionId is { } sessionId && await batcher.RotateAsync(sessionId, token.SecretHash, successorHash) is { } batched)
            return Renewed(batched, successor) ?? new RefreshResult.Invalid();

        const string sql = $"""
            SELECT {Row.Columns}
            FROM rotate_refresh_token_v3(@sessionId, @tokenHash, @successorHash, @clockOffset, @idle, @grace, @lockTimeout, @Ip, @UserAgent)
            """;
        var parameters = new
        {
            sessionId = token.SessionId,
            tokenHash = token.SecretHash,
            successorHash,
            clockOffset = DbTime.ClockOffset(clock),
            idle = auth.RefreshTokenIdleLifetime,
            grace = auth.RefreshReuseGrace,
            lockTimeout = auth.RefreshLockTimeoutSetting,
            origin.Ip,
            origin.UserAgent,
            ct,
        };

        Row row;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            row = await conn.QuerySingleAsync<Row>(sql, parameters);
        }
        catch (PostgresException e) when (e.SqlState == LockNotAvailable)
        {
            return new RefreshResult.Conflict();
        }

        return row switch
        {
            { Outcome: "reused" } => new RefreshResult.Reused(),
            { Outcome: "unknown", SessionId: { } id, CurrentHash: { } current, Generation: { } generation }
                when token.IsAncestorOf(current, generation, successorKey.Key) => await RevokeReusedAsync(conn, id, origin, ct),
            _ => Renewed(row, successor) ?? new RefreshResult.Invalid(),
        };
    }

    /// <summary>A 'rotated' or 'grace' row as the answer that sets <paramref name="successor"/>; null for any other.</summary>
    private static RefreshResult? Renewed(Row row, string successor) => row switch
    {
        { Outcome: "rotated", SessionId: { } id, SessionExpiresAt: { } expires, User: { } user, Amr: { } amr } =>
            new RefreshResult.Rotated(RefreshToken.Format(id, successor), id, DbTime.Utc(expires), user, amr),
        { Outcome: "grace", SessionId: { } id, SessionExpiresAt: { } expires, User: { } user, Amr: { } amr } =>
            new RefreshResult.Grace(RefreshToken.Format(id, successor), id, DbTime.Utc(expires), user, amr),
        _ => null,
    };

    /// <summary>An older token of the session came back: revoked, audited and mailed as the function does for the previous one.</summary>
    private async Task<RefreshResult> RevokeReusedAsync(NpgsqlConnection conn, Guid sessionId, RequestOrigin origin, CancellationToken ct)
    {
        await conn.ExecuteAsync("SELECT revoke_reused_session_v1(@sessionId, @clockOffset, @Ip, @UserAgent)",
            new { sessionId, clockOffset = DbTime.ClockOffset(clock), origin.Ip, origin.UserAgent, ct });
        return new RefreshResult.Reused();
    }

    /// <summary>The function's row: only <see cref="Outcome"/> is set for 'invalid'; the session and user for the others.</summary>
    internal sealed record Row(string Outcome, Guid? SessionId, Guid? UserId, DateTime? SessionExpiresAt, string? Email,
        bool? EmailVerified, string? DisplayName, DateTime? UserCreatedAt, string[]? Roles, string[]? Amr, bool? Totp, int? Passkeys,
        byte[]? CurrentHash, int? Generation)
    {
        /// <summary>The rotation functions' columns (v3 and the batch's rotate_refresh_tokens_v1 return the same) under this record's names.</summary>
        public const string Columns = """
            outcome AS Outcome, session_id AS SessionId, user_id AS UserId, session_expires_at AS SessionExpiresAt,
            email AS Email, email_verified AS EmailVerified, display_name AS DisplayName, user_created_at AS UserCreatedAt,
            roles AS Roles, amr AS Amr, totp_enabled AS Totp, passkey_count AS Passkeys, current_hash AS CurrentHash, generation AS Generation
            """;

        // Dapper reports text[] as System.Array, which matches no constructor parameter: it builds the row
        // through this constructor and the init setters instead.
        private Row() : this("", null, null, null, null, null, null, null, null, null, null, null, null, null) { }

        public UserResponse? User => UserId is { } id && Email is not null && UserCreatedAt is { } created
            ? new UserResponse(id, Email, EmailVerified ?? false, DisplayName, DbTime.Utc(created), Roles ?? [], new MfaStatus(Totp ?? false, Passkeys ?? 0))
            : null;
    }
}
