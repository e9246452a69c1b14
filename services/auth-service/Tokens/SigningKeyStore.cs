using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthService.Data;
using Dapper;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>ES256 signing keys in PostgreSQL, so every replica signs with the same key and publishes the same JWKS.</summary>
internal sealed class SigningKeyStore(NpgsqlDataSource dataSource, ServerSecrets secrets)
{
    private const long AdvisoryLockKey = 0x6175_7468_6b65_79; // "authkey"

    public async Task<IReadOnlyList<StoredSigningKey>> LoadPublishedAsync(DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            SELECT kid AS Kid, public_jwk::text AS PublicJwk, private_key AS PrivateKey, kek_id AS KekId, created_at AS CreatedAt, not_before AS NotBefore,
                   retire_at AS RetireAt, expires_at AS ExpiresAt
            FROM signing_keys WHERE expires_at IS NULL OR expires_at > @now
            ORDER BY not_before
            """;
        var rows = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QueryAsync<KeyRow>(sql, new { now, token });
        }, ct);
        return rows.Select(r => new StoredSigningKey(r.Kid, r.PublicJwk, r.PrivateKey, r.KekId, r.CreatedAt, r.NotBefore, r.RetireAt, r.ExpiresAt))
            .ToList();
    }

    /// <summary>
    /// Creates a key that signs from <paramref name="now"/> unless one already does or will.
    /// The advisory lock makes replicas that start together create exactly one.
    /// </summary>
    public async Task<bool> EnsureSigningKeyAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await LockKeysAsync(conn, ct);
        // Any key not yet retired counts, even one whose not_before lies a moment ahead: a replica whose
        // clock runs slightly behind must use the key another replica just created, not add a second.
        var exists = await conn.ExecuteScalarAsync<bool>("""
            SELECT EXISTS (SELECT 1 FROM signing_keys
                           WHERE (retire_at IS NULL OR retire_at > @now)
                             AND (expires_at IS NULL OR expires_at > @now))
            """, new { now, ct }, tx);
        if (exists) return false;

        await InsertAsync(conn, tx, Generate(now, now), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Schedules the next key when the newest one is within <c>PublishLead</c> of its rotation time:
    /// the new key is published now and signs from <c>notBefore</c>; the old one stops signing then
    /// and stays published until every token it signed has expired. Under an advisory lock, so with
    /// several replicas exactly one new key is created per rotation.
    /// </summary>
    public async Task<string?> RotateIfDueAsync(DateTimeOffset now, TimeSpan interval, TimeSpan lead, TimeSpan tokenLifetime, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await LockKeysAsync(conn, ct);
        var newest = await conn.QuerySingleOrDefaultAsync<NewestKey>("""
            SELECT kid, not_before FROM signing_keys WHERE expires_at IS NULL OR expires_at > @now
            ORDER BY not_before DESC LIMIT 1
            """, new { now, ct }, tx);
        if (newest is null) return null;
        var dueAt = DbTime.Utc(newest.NotBefore) + interval;
        if (dueAt - lead > now) return null; // not due yet, or a successor is already scheduled

        var notBefore = dueAt > now + lead ? dueAt : now + lead;
        var kid = await ReplaceAsync(conn, tx, newest.Kid, notBefore, notBefore + tokenLifetime + RetirementMargin, now, ct);
        await tx.CommitAsync(ct);
        return kid;
    }

    /// <summary>
    /// Incident rotation: a new key signs at once. The current key stops signing now and leaves the
    /// JWKS when its tokens have expired, or at once with <paramref name="revokeCurrent"/> (its tokens then fail).
    /// </summary>
    public async Task<string> RotateNowAsync(DateTimeOffset now, TimeSpan tokenLifetime, bool revokeCurrent, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await LockKeysAsync(conn, ct);
        var expiresAt = revokeCurrent ? now : now + tokenLifetime + RetirementMargin;
        var kid = await ReplaceAsync(conn, tx, null, now, expiresAt, now, ct);
        await tx.CommitAsync(ct);
        return kid;
    }

    /// <summary>Tokens can still be in flight a little past their lifetime (clock skew, key reload interval).</summary>
    private static readonly TimeSpan RetirementMargin = TimeSpan.FromMinutes(2);

    private async Task<string> ReplaceAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string? oldKid, DateTimeOffset notBefore,
        DateTimeOffset oldExpiresAt, DateTimeOffset now, CancellationToken ct)
    {
        // Retire the named key, or (incident) every key still signing or scheduled to.
        const string retire = """
            UPDATE signing_keys SET retire_at = @notBefore, expires_at = LEAST(COALESCE(expires_at, @oldExpiresAt), @oldExpiresAt)
            WHERE (kid = @oldKid OR @oldKid IS NULL) AND (retire_at IS NULL OR retire_at > @notBefore)
            """;
        await conn.ExecuteAsync(retire, new { oldKid, notBefore, oldExpiresAt, ct }, tx);
        var key = Generate(notBefore, now);
        await InsertAsync(conn, tx, key, ct);
        return key.Kid;
    }

    private static async Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction tx, StoredSigningKey key, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO signing_keys (kid, alg, public_jwk, private_key, kek_id, created_at, not_before)
            VALUES (@Kid, 'ES256', @PublicJwk::jsonb, @PrivateKey, @KekId, @CreatedAt, @NotBefore)
            """;
        await conn.ExecuteAsync(sql, new { key.Kid, key.PublicJwk, key.PrivateKey, key.KekId, key.CreatedAt, key.NotBefore, ct }, tx);
    }

    /// <summary>Every change to the key set happens in a transaction holding this lock, so replicas take turns.</summary>
    private static async Task<NpgsqlTransaction> LockKeysAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync("SELECT pg_advisory_xact_lock(@AdvisoryLockKey)", new { AdvisoryLockKey, ct }, tx);
        return tx;
    }

    /// <summary>A new P-256 key pair, its private half already sealed under the newest KEK (bound to its kid).</summary>
    internal StoredSigningKey Generate(DateTimeOffset notBefore, DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ecdsa.ExportParameters(includePrivateParameters: false);
        var x = Base64Url.EncodeToString(p.Q.X);
        var y = Base64Url.EncodeToString(p.Q.Y);
        var kid = Thumbprint(x, y);
        var publicJwk = JsonSerializer.Serialize(new PublicJwk("EC", "P-256", x, y, kid, "sig", "ES256"), TokensJsonContext.Default.PublicJwk);
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            var sealedKey = secrets.Seal(privateKey, kid);
            return new StoredSigningKey(kid, publicJwk, sealedKey.Box, sealedKey.KekId, now, notBefore, null, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>RFC 7638 JWK thumbprint: a kid that names the key itself.</summary>
    private static string Thumbprint(string x, string y) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));

    internal sealed record NewestKey(string Kid, DateTime NotBefore);
    internal sealed record KeyRow(string Kid, string PublicJwk, byte[] PrivateKey, string KekId, DateTime CreatedAt, DateTime NotBefore, DateTime? RetireAt, DateTime? ExpiresAt);
}
