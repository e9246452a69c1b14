using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AuthService.Data;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Tokens;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Sessions;

/// <summary>
/// The upgrade to a refresh successor key of its own (migration 0005). The previous release derived that key
/// from <c>Auth:KeyEncryptionKey</c> by HKDF; its sessions must go on refreshing, and a token an old replica
/// rotated a moment ago must still be answered within the grace window with the successor the old replica stored
/// (a different key would call that a reuse and revoke the session). The database here is the previous
/// release's: its migrations and functions only, its rows written as its code wrote them.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PreviousReleaseSessionsTests
{
    private const string FirstMigrationOfThisRelease = "0005";

    [Theory]
    [InlineData(false)] // the upgrade keeps Auth:KeyEncryptionKey as it was
    [InlineData(true)]  // the upgrade already lists a new key first and the old one under another id
    public async Task SessionsOfThePreviousRelease_KeepRefreshing_WithTheSuccessorsItDerived(bool newKeyAlreadyFirst)
    {
        var oldKek = Convert.FromBase64String(TestKeys.NewKek());
        var now = DateTimeOffset.UtcNow;
        var database = await DatabaseOfThePreviousReleaseAsync();
        await using (var conn = new NpgsqlConnection(database))
        {
            await InsertSigningKeyAsThePreviousReleaseDidAsync(conn, oldKek, "previous-release-key", now);
        }
        var idle = await SessionAsThePreviousReleaseLeftItAsync(database, now);
        var midRotation = await SessionAsThePreviousReleaseLeftItAsync(database, now);
        // An old replica has just rotated this one; a second tab still holds the token it replaced.
        var rotatedByOldReplica = SuccessorAsThePreviousReleaseDerivedIt(oldKek, midRotation);
        Assert.Equal("rotated", await RotateAsThePreviousReleaseDidAsync(database, midRotation, rotatedByOldReplica, now));

        var settings = newKeyAlreadyFirst
            ? TestKeys.KeyEncryptionKeySettings(("2025-07", TestKeys.NewKek()), ("previous", Convert.ToBase64String(oldKek)))
            : new Dictionary<string, string?> { ["Auth:KeyEncryptionKey"] = Convert.ToBase64String(oldKek) };
        await using var upgraded = new AuthServiceFactory(database, settings);
        upgraded.Clock.Set(now);
        await upgraded.StartAsync();
        var client = new AuthClient(upgraded);

        // The idle session refreshes, with exactly the successor secret the previous release would have issued (now
        // after the session's id).
        var refreshed = await client.RefreshAsync(idle);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(SuccessorAsThePreviousReleaseDerivedIt(oldKek, idle), AuthClient.RefreshCookieValue(refreshed)![22..]);

        // The second tab's retry within the grace window gets the old replica's successor, not a reuse verdict.
        var retried = await client.RefreshAsync(midRotation);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(rotatedByOldReplica, AuthClient.RefreshCookieValue(retried)![22..]);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(rotatedByOldReplica)).StatusCode);

        // The carried-over key is stored, sealed under the key that seals now.
        await using (var conn = new NpgsqlConnection(database))
        {
            var kekId = await conn.ExecuteScalarAsync<string>("SELECT kek_id FROM server_secrets WHERE name = 'refresh_successor_key'");
            Assert.Equal(newKeyAlreadyFirst ? "2025-07" : "legacy", kekId);

            // A replica of the previous release, still running during the rolling update, adds a signing key
            // without knowing kek_id: it is labelled 'legacy', and this release opens it.
            await InsertSigningKeyAsThePreviousReleaseDidAsync(conn, oldKek, "added-by-an-old-replica", now);
            Assert.Equal("legacy", await conn.ExecuteScalarAsync<string>("SELECT kek_id FROM signing_keys WHERE kid = 'added-by-an-old-replica'"));
        }
        await upgraded.Services.GetRequiredService<SigningKeyMaintenance>().MaintainKeysAsync(CancellationToken.None);
        Assert.Contains("added-by-an-old-replica", upgraded.Services.GetRequiredService<SigningKeyRing>().Current.ValidationKeys.Keys);
    }

    [Fact]
    public async Task NewDatabase_GetsARandomSuccessorKey_NotOneDerivedFromTheKek()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var kek = Convert.FromBase64String(AuthServiceFactory.KeyEncryptionKey);

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        var (sealedValue, kekId) = await conn.QuerySingleAsync<(byte[], string)>("SELECT sealed_value, kek_id FROM server_secrets WHERE name = 'refresh_successor_key'");
        var stored = TestKeys.Secrets(TestKeys.Options(kek: AuthServiceFactory.KeyEncryptionKey)).Open(sealedValue, kekId, "server_secrets:refresh_successor_key");

        Assert.Equal(32, stored.Length);
        Assert.Equal(stored, factory.Services.GetRequiredService<RefreshSuccessorKey>().Key);
        Assert.NotEqual(HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, 32, info: "refresh-token-successor"u8.ToArray()), stored);
    }

    /// <summary>An empty database brought to the previous release's schema, as its MigrationRunner left it.</summary>
    private static async Task<string> DatabaseOfThePreviousReleaseAsync()
    {
        Assert.Contains(MigrationRunner.Embedded, m => m.Version.StartsWith(FirstMigrationOfThisRelease, StringComparison.Ordinal));
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync(empty: true);
        await using var conn = new NpgsqlConnection(database);
        await conn.ExecuteAsync("CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var (version, sql) in MigrationRunner.Embedded.Where(m => string.CompareOrdinal(m.Version, FirstMigrationOfThisRelease) < 0))
        {
            await conn.ExecuteAsync(sql);
            await conn.ExecuteAsync("INSERT INTO schema_migrations (version) VALUES (@version)", new { version });
        }
        foreach (var (_, sql) in DatabaseFunctions.Embedded) await conn.ExecuteAsync(sql);
        return database;
    }

    /// <summary>The previous release's ServerSecrets.Encrypt: AES-GCM under the KEK, nonce | ciphertext | tag, the kid as associated data.</summary>
    private static async Task InsertSigningKeyAsThePreviousReleaseDidAsync(NpgsqlConnection conn, byte[] kek, string kid, DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(includePrivateParameters: false).Q;
        var publicJwk = JsonSerializer.Serialize(new
        {
            kty = "EC", crv = "P-256", x = Base64Url.EncodeToString(q.X), y = Base64Url.EncodeToString(q.Y), kid, use = "sig", alg = "ES256",
        });
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        var box = new byte[12 + pkcs8.Length + 16];
        RandomNumberGenerator.Fill(box.AsSpan(0, 12));
        using (var aes = new AesGcm(kek, 16))
            aes.Encrypt(box.AsSpan(0, 12), pkcs8, box.AsSpan(12, pkcs8.Length), box.AsSpan(12 + pkcs8.Length), Encoding.UTF8.GetBytes(kid));
        await conn.ExecuteAsync("""
            INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, not_before)
            VALUES (@kid, 'ES256', @publicJwk::jsonb, @box, @now, @now)
            """, new { kid, publicJwk, box, now });
    }

    /// <summary>A verified user's session whose newest refresh token is returned, as the previous release's signin left it.</summary>
    private static async Task<string> SessionAsThePreviousReleaseLeftItAsync(string database, DateTimeOffset now)
    {
        var token = SessionTestKit.UnknownToken();
        var userId = Guid.NewGuid();
        var sessionId = Guid.NewGuid();
        await using var conn = new NpgsqlConnection(database);
        await conn.ExecuteAsync("""
            INSERT INTO users (id, email, password_hash, email_verified_at, created_at, updated_at)
            VALUES (@userId, @email, 'not used here', @now, @now, @now);
            INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip)
            VALUES (@sessionId, @userId, @now, @now, @idleExpires, @expires, 'previous release', '203.0.113.7');
            INSERT INTO refresh_tokens (session_id, token_hash, created_at) VALUES (@sessionId, @hash, @now);
            """, new
        {
            userId, sessionId, email = AuthClient.NewEmail("previous"), now, idleExpires = now.AddDays(14), expires = now.AddDays(30),
            hash = SessionTestKit.Sha256(token),
        });
        return token;
    }

    /// <summary>What a replica of the previous release did on POST /auth/refresh: its successor, then the same function.</summary>
    private static async Task<string> RotateAsThePreviousReleaseDidAsync(string database, string presented, string successor, DateTimeOffset now)
    {
        await using var conn = new NpgsqlConnection(database);
        return await conn.QuerySingleAsync<string>("""
            SELECT outcome FROM rotate_refresh_token_v2(@tokenHash, @successorHash, @clockOffset, @idle, @grace, '3000ms', '203.0.113.7', 'previous release')
            """, new
        {
            tokenHash = SessionTestKit.Sha256(presented), successorHash = SessionTestKit.Sha256(successor),
            clockOffset = now - DateTimeOffset.UtcNow, idle = TimeSpan.FromDays(14), grace = TimeSpan.FromSeconds(10),
        });
    }

    /// <summary>The previous release's successor: HMAC-SHA256 keyed by HKDF(KEK, "refresh-token-successor"), base64url.</summary>
    private static string SuccessorAsThePreviousReleaseDerivedIt(byte[] kek, string token)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, 32, info: "refresh-token-successor"u8.ToArray());
        return Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(token)));
    }
}
