using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>
/// Secrets of the service itself (table <c>server_secrets</c>): random, one per database, sealed under the
/// key-encryption key like the signing keys, so every replica uses the same value and rotating the KEK leaves it as it is.
/// </summary>
internal sealed class ServerSecretStore(NpgsqlDataSource dataSource, ServerSecrets secrets, TimeProvider clock)
{
    private const int SecretSize = 32;

    /// <summary>Binds a sealed secret to its name, so one row's box cannot stand in for another's.</summary>
    public static string AssociatedData(string name) => "server_secrets:" + name;

    /// <summary>
    /// The secret <paramref name="name"/>, created from 32 random bytes when the database has none. A row the
    /// migration left pending (a database from before this table, see 0005) is sealed from <paramref name="pendingValue"/>
    /// instead. Replicas starting together agree: the first write wins and every one of them reads back what was stored.
    /// </summary>
    public async Task<byte[]> GetOrCreateAsync(string name, Func<CancellationToken, Task<byte[]>> pendingValue, CancellationToken ct)
    {
        var row = await EnsureSealedAsync(name, pendingValue, ct);
        return secrets.Open(row.SealedValue!, row.KekId, AssociatedData(name));
    }

    /// <summary>As <see cref="GetOrCreateAsync"/>, without opening what is stored (rewrap-keys reports a row it cannot open itself).</summary>
    public Task EnsureStoredAsync(string name, Func<CancellationToken, Task<byte[]>> pendingValue, CancellationToken ct) =>
        EnsureSealedAsync(name, pendingValue, ct);

    private async Task<Row> EnsureSealedAsync(string name, Func<CancellationToken, Task<byte[]>> pendingValue, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var fresh = SealNew(name);
        await conn.ExecuteAsync("""
            INSERT INTO server_secrets (name, sealed_value, kek_id, created_at) VALUES (@name, @Box, @KekId, @now)
            ON CONFLICT (name) DO NOTHING
            """, new { name, fresh.Box, fresh.KekId, now = clock.GetUtcNow(), ct });

        var row = await ReadAsync(conn, name, ct);
        if (row.SealedValue is null)
        {
            var value = await pendingValue(ct);
            var pending = secrets.Seal(value, AssociatedData(name));
            CryptographicOperations.ZeroMemory(value);
            await conn.ExecuteAsync(
                "UPDATE server_secrets SET sealed_value = @Box, kek_id = @KekId WHERE name = @name AND sealed_value IS NULL",
                new { name, pending.Box, pending.KekId, ct });
            row = await ReadAsync(conn, name, ct);
        }
        return row;
    }

    private SealedValue SealNew(string name)
    {
        var value = RandomNumberGenerator.GetBytes(SecretSize);
        try
        {
            return secrets.Seal(value, AssociatedData(name));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    private static Task<Row> ReadAsync(NpgsqlConnection conn, string name, CancellationToken ct) =>
        conn.QuerySingleAsync<Row>(
            "SELECT sealed_value AS SealedValue, kek_id AS KekId FROM server_secrets WHERE name = @name", new { name, ct });

    internal sealed record Row(byte[]? SealedValue, string? KekId);
}
