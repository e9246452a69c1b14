using System.Reflection;
using Dapper;
using Npgsql;

namespace AuthService.Data;

/// <summary>
/// Applies the numbered <c>Migrations/NNNN_name.sql</c> files embedded in this assembly, in order,
/// each in its own transaction. A session-level advisory lock makes concurrent replicas take turns:
/// the first applies, the others find nothing left to do. Then, still under the lock, the
/// <see cref="DatabaseFunctions"/> are (re)applied.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    private const long AdvisoryLockKey = 0x6175_7468_6d69_67; // "authmig"

    public static IReadOnlyList<(string Version, string Sql)> Embedded { get; } = LoadEmbedded();

    public async Task<int> ApplyAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync("SELECT pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey, ct });
        try
        {
            await conn.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, new { ct });
            var applied = (await conn.QueryAsync<string>("SELECT version FROM schema_migrations", new { ct })).ToHashSet();

            var count = 0;
            foreach (var (version, sql) in Embedded.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                // SQL known only at run time and without parameters: the token itself is the parameter object, where the generated code finds it.
                await conn.ExecuteAsync(sql, ct, tx);
                await conn.ExecuteAsync("INSERT INTO schema_migrations (version) VALUES (@version)", new { version, ct }, tx);
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
                count++;
            }
            await DatabaseFunctions.ApplyAsync(conn, ct);
            return count;
        }
        finally
        {
            await conn.ExecuteAsync("SELECT pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey });
        }
    }

    private static List<(string, string)> LoadEmbedded()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (n["Migrations.".Length..^".sql".Length], reader.ReadToEnd());
            })
            .ToList();
    }
}
