using AuthService.Audit;
using AuthService.Data;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AuthService.Tests.Data;

/// <summary>
/// Versioned SQL functions live beside their caller and are re-applied (CREATE OR REPLACE) at every
/// start, under the migration lock and after the migrations: never copied into a migration.
/// </summary>
public sealed class DatabaseFunctionsTests
{
    private const string RotateV2 = "rotate_refresh_token_v2";

    [Fact]
    public void RotateRefreshTokenV2_IsAnEmbeddedFunction_NotAMigration()
    {
        Assert.DoesNotContain(MigrationRunner.Embedded, m => m.Sql.Contains(RotateV2, StringComparison.Ordinal));
        var (_, sql) = Assert.Single(DatabaseFunctions.Embedded, f => f.Name == RotateV2);
        Assert.Contains($"CREATE OR REPLACE FUNCTION {RotateV2}(", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void RotateRefreshTokenV2_WritesTheValuesOfTheCSharpConstants()
    {
        var sql = DatabaseFunctions.Embedded.Single(f => f.Name == RotateV2).Sql;
        Assert.Contains($"revoked_reason = '{RevocationReasons.RefreshTokenReused}'", sql, StringComparison.Ordinal);
        Assert.Contains($"'{AuditKinds.RefreshReused}'", sql, StringComparison.Ordinal);
        Assert.Contains($"'{RefreshReuseNoticeMail.KindName}'", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Apply_Twice_IsIdempotent_AndRestoresAChangedFunction()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync(empty: true);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var runner = new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance);

        Assert.Equal(MigrationRunner.Embedded.Count, await runner.ApplyAsync(CancellationToken.None));
        Assert.Equal(1, await CountAsync(dataSource));

        // Somebody (or an older build) changed the function's body: the next start puts this one back.
        await using (var conn = await dataSource.OpenConnectionAsync())
            await conn.ExecuteAsync($"DROP FUNCTION {RotateV2}");
        Assert.Equal(0, await runner.ApplyAsync(CancellationToken.None));
        Assert.Equal(0, await runner.ApplyAsync(CancellationToken.None));
        Assert.Equal(1, await CountAsync(dataSource));

        await using var check = await dataSource.OpenConnectionAsync();
        var outcome = await check.QuerySingleAsync<string>($"""
            SELECT outcome FROM {RotateV2}(@hash, @hash, interval '0', interval '1 day', interval '10 seconds', '1s', NULL, NULL)
            """, new { hash = new byte[32] });
        Assert.Equal("invalid", outcome);
        // v1 (migration 0002) stays beside it for pods of older releases.
        Assert.Equal(1, await check.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_proc WHERE proname = 'rotate_refresh_token'"));
    }

    private static async Task<int> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var conn = await dataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_proc WHERE proname = @RotateV2", new { RotateV2 });
    }
}
