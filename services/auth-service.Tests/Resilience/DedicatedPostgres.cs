using AuthService.Tests.Infrastructure;
using Npgsql;

namespace AuthService.Tests.Resilience;

/// <summary>
/// A PostgreSQL cluster of its own for tests that stop and restart the database: stopping the
/// shared cluster would break every test class running in parallel.
/// </summary>
public sealed class DedicatedPostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartDedicatedAsync();

    /// <summary>A new, empty database (the outage tests watch the service migrate on startup); first drops pooled admin connections that an earlier restart broke.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        await using (var admin = new NpgsqlConnection(Server.AdminConnectionString)) NpgsqlConnection.ClearPool(admin);
        return await Server.CreateDatabaseAsync(empty: true);
    }

    public Task DisposeAsync()
    {
        Server.Destroy();
        return Task.CompletedTask;
    }
}

/// <summary>Outage tests take turns on the dedicated cluster (one collection runs its tests one at a time).</summary>
[CollectionDefinition(Name)]
public sealed class DatabaseOutageCollection : ICollectionFixture<DedicatedPostgresFixture>
{
    public const string Name = "Database outages (dedicated PostgreSQL cluster)";
}
