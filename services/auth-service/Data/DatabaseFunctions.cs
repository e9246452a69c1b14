using System.Reflection;
using Dapper;
using Npgsql;

namespace AuthService.Data;

/// <summary>
/// SQL functions that live beside their C# caller (e.g. <c>Sessions/rotate_refresh_token_v2.sql</c>),
/// embedded as <c>Functions.*.sql</c> and applied with <c>CREATE OR REPLACE</c> at every startup, after the
/// migrations and under their lock (<see cref="MigrationRunner"/>): idempotent, so changing a function is a
/// diff of its one file, not a migration that copies it whole. Each function's name carries a version; a
/// changed signature or behaviour is a new name, so the previous release's pods keep working beside the new ones.
/// </summary>
public static class DatabaseFunctions
{
    private const string Prefix = "Functions.";

    public static IReadOnlyList<(string Name, string Sql)> Embedded { get; } = LoadEmbedded();

    /// <summary>Applies every embedded function in one transaction on <paramref name="conn"/> (which holds the migration lock).</summary>
    public static async Task ApplyAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        // SQL known only at run time and without parameters: the token itself is the parameter object, where the generated code finds it.
        foreach (var (_, sql) in Embedded)
            await conn.ExecuteAsync(sql, ct, tx);
        await tx.CommitAsync(ct);
    }

    private static List<(string, string)> LoadEmbedded()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (n[Prefix.Length..^".sql".Length], reader.ReadToEnd());
            })
            .ToList();
    }
}
