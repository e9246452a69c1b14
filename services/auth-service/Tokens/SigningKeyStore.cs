using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>A signing key as stored: public JWK in clear, private key sealed with AES-GCM under the KEK.</summary>
public sealed record StoredSigningKey(string Kid, string PublicJwk, byte[] PrivateKey, DateTimeOffset CreatedAt,
    DateTimeOffset NotBefore, DateTimeOffset? RetireAt, DateTimeOffset? ExpiresAt);

/// <summary>ES256 signing keys in PostgreSQL, so every replica signs with the same key and publishes the same JWKS.</summary>
public sealed class SigningKeyStore(NpgsqlDataSource dataSource, ServerSecrets secrets)
{
    private const long AdvisoryLockKey = 0x6175_7468_6b65_79; // "authkey"

    public async Task<IReadOnlyList<StoredSigningKey>> LoadPublishedAsync(DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            SELECT kid, public_jwk::text AS public_jwk, private_key, created_at, not_before, retire_at, expires_at
            FROM signing_keys WHERE expires_at IS NULL OR expires_at > @now
            ORDER BY not_before
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<KeyRow>(new CommandDefinition(sql, new { now }, cancellationToken: ct)))
            .Select(r => new StoredSigningKey(r.kid, r.public_jwk, r.private_key, r.created_at, r.not_before, r.retire_at, r.expires_at))
            .ToList();
    }

    /// <summary>
    /// Creates a key that signs from <paramref name="notBefore"/> unless one already signs at that time.
    /// The advisory lock makes replicas that start together create exactly one.
    /// </summary>
    public async Task<bool> EnsureSigningKeyAsync(DateTimeOffset notBefore, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, tx, cancellationToken: ct));
        var exists = await conn.ExecuteScalarAsync<bool>(new CommandDefinition("""
            SELECT EXISTS (SELECT 1 FROM signing_keys
                           WHERE not_before <= @notBefore AND (retire_at IS NULL OR retire_at > @notBefore)
                             AND (expires_at IS NULL OR expires_at > @notBefore))
            """, new { notBefore }, tx, cancellationToken: ct));
        if (exists) return false;

        await InsertNewKeyAsync(conn, tx, notBefore, now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    internal async Task InsertNewKeyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, DateTimeOffset notBefore, DateTimeOffset now, CancellationToken ct)
    {
        var key = Generate(notBefore, now);
        const string sql = """
            INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, not_before)
            VALUES (@Kid, 'ES256', @PublicJwk::jsonb, @PrivateKey, @CreatedAt, @NotBefore)
            """;
        await conn.ExecuteAsync(new CommandDefinition(sql, key, tx, cancellationToken: ct));
    }

    /// <summary>A new P-256 key pair, its private half already sealed under the KEK (bound to its kid).</summary>
    internal StoredSigningKey Generate(DateTimeOffset notBefore, DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ecdsa.ExportParameters(includePrivateParameters: false);
        var x = Base64Url.EncodeToString(p.Q.X);
        var y = Base64Url.EncodeToString(p.Q.Y);
        var kid = Thumbprint(x, y);
        var publicJwk = JsonSerializer.Serialize(new { kty = "EC", crv = "P-256", x, y, kid, use = "sig", alg = "ES256" });
        var privateKey = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            return new StoredSigningKey(kid, publicJwk, secrets.Encrypt(privateKey, kid), now, notBefore, null, null);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>RFC 7638 JWK thumbprint: a kid that names the key itself.</summary>
    private static string Thumbprint(string x, string y) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{x}}","y":"{{y}}"}""")));

    // Dapper materializes by column name; keep the snake_case names of the SELECT above.
#pragma warning disable IDE1006
    private sealed record KeyRow(string kid, string public_jwk, byte[] private_key, DateTime created_at, DateTime not_before, DateTime? retire_at, DateTime? expires_at);
#pragma warning restore IDE1006
}
