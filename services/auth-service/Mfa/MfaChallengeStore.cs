using AuthService.Audit;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Mfa;

/// <summary>
/// Signins waiting for their second factor (<c>mfa_challenges</c>): the <c>mfaToken</c>'s hash, bound to the user,
/// single use, <see cref="Lifetime"/> long, and void after <see cref="MaxFailures"/> wrong codes.
/// </summary>
internal sealed class MfaChallengeStore(NpgsqlDataSource dataSource, MfaStore mfa, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    public const int MaxFailures = 5;

    // Re-checked when the code comes: an account disabled, unverified (by an admin) or without TOTP since the password step gets no session.
    private const string Live = "c.used_at IS NULL AND c.expires_at > @now AND c.failures < @MaxFailures " +
        "AND u.disabled_at IS NULL AND u.email_verified_at IS NOT NULL AND u.totp_enabled";

    public async Task<string> CreateAsync(Guid userId, CancellationToken ct)
    {
        const string sql = "INSERT INTO mfa_challenges (token_hash, user_id, created_at, expires_at) VALUES (@hash, @userId, @now, @expiresAt)";
        var token = OpaqueToken.New();
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(sql, new { hash = OpaqueToken.Hash(token), userId, now, expiresAt = now + Lifetime, ct });
        return token;
    }

    /// <summary>The user and email of a live challenge (to count the attempt against that email first), or null.</summary>
    public async Task<(Guid UserId, string Email)?> FindAsync(string token, CancellationToken ct)
    {
        const string sql = $"SELECT c.user_id, u.email FROM mfa_challenges c JOIN users u ON u.id = c.user_id WHERE c.token_hash = @hash AND {Live}";
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<ChallengeOwner>(sql,
            new { hash = OpaqueToken.Hash(token), now = clock.GetUtcNow(), MaxFailures, ct }) is { } owner ? (owner.UserId, owner.Email) : null;
    }

    /// <summary>
    /// Checks the code against the challenge's user in one transaction that holds the challenge row: a right code is
    /// used up together with the challenge (so parallel requests with one token cannot both pass), a wrong one adds a
    /// failure (the <see cref="MaxFailures"/>th voids the token).
    /// </summary>
    public async Task<MfaChallengeResult> CompleteAsync(string token, string? code, bool totpAllowed, RequestOrigin origin, CancellationToken ct)
    {
        const string lockChallenge = $"""
            SELECT c.user_id FROM mfa_challenges c JOIN users u ON u.id = c.user_id
            WHERE c.token_hash = @hash AND {Live} FOR UPDATE OF c
            """;
        var hash = OpaqueToken.Hash(token);
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var userId = await conn.QuerySingleOrDefaultAsync<Guid?>(lockChallenge, new { hash, now, MaxFailures, ct }, tx);
        if (userId is null) return new MfaChallengeResult(null, null, 0);

        var method = await mfa.UseCodeAsync(conn, tx, userId.Value, code, totpAllowed, now, ct);
        if (method is null)
        {
            var failures = await conn.QuerySingleAsync<int>(
                "UPDATE mfa_challenges SET failures = failures + 1 WHERE token_hash = @hash RETURNING failures", new { hash, ct }, tx);
            await tx.CommitAsync(CancellationToken.None);
            return new MfaChallengeResult(null, null, failures);
        }

        await conn.ExecuteAsync("UPDATE mfa_challenges SET used_at = @now WHERE token_hash = @hash",
            new { hash, now, ct }, tx);
        var user = await conn.QuerySingleAsync<UserRow>($"SELECT {UserRow.Columns} FROM users WHERE id = @userId",
            new { userId, ct }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.MfaSucceeded, userId, origin, now, new MfaMethodDetails(method), ct);
        await tx.CommitAsync(ct);
        return new MfaChallengeResult(user.ToResponse(), method, 0);
    }

    internal sealed record ChallengeOwner(Guid UserId, string Email);
}
