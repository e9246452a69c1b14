using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Data;

/// <summary>
/// A start that cannot complete stops the service with a non-zero exit code, so that Docker's restart
/// policy, Compose and process managers see a failure and not a clean exit.
/// </summary>
public sealed class StartupFailureTests
{
    [Fact]
    [Trait("Category", PublishedService.Category)]
    public async Task PublishedService_WhoseDatabaseInitializationFails_ExitsNonZero()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        // The first start seals the database's first signing key under its key-encryption key.
        await using (await PublishedService.StartAsync(database)) { }

        // Another key-encryption key cannot open that signing key: initialization fails.
        var environment = PublishedService.ProductionEnvironment(database, FreePort.Next());
        var (exitCode, output) = await PublishedService.RunUntilExitAsync(environment, TimeSpan.FromSeconds(60));

        Assert.Contains("Database initialization failed", output, StringComparison.Ordinal);
        Assert.NotEqual(0, exitCode);
    }
}
