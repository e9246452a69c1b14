using AuthService.Tests.Infrastructure;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Networks;
using Npgsql;
using Testcontainers.PostgreSql;

namespace AuthService.Tests.Containers;

/// <summary>
/// One Docker network, one PostgreSQL container on it (alias <c>auth-db</c>) and one service container
/// from the image under test, per test class. Tests that need a service of their own (one they stop,
/// or with other settings) start it beside, on a database of its own. Without a Docker engine it does
/// nothing: the tests are skipped.
/// </summary>
public sealed class ContainerStackFixture : IAsyncLifetime
{
    public const string DatabaseAlias = "auth-db";
    private const string Password = "postgres";

    public INetwork Network { get; private set; } = null!;
    public PostgreSqlContainer Postgres { get; private set; } = null!;
    public ServiceContainer Service { get; private set; } = null!;

    /// <summary>The service's database.</summary>
    public string Database => "auth_service";

    public async Task InitializeAsync()
    {
        if (!DockerEngine.IsAvailable) return;
        Network = new NetworkBuilder().Build();
        await Network.CreateAsync();
        Postgres = new PostgreSqlBuilder().WithImage(DockerEngine.PostgresImage).WithNetwork(Network).WithNetworkAliases(DatabaseAlias)
            .WithUsername("postgres").WithPassword(Password).WithDatabase(Database).Build();
        await Postgres.StartAsync();
        Service = await ServiceContainer.StartAsync(Network, ConnectionStringInNetwork(Database));
    }

    /// <summary>As the service containers reach PostgreSQL: through the network alias.</summary>
    public static string ConnectionStringInNetwork(string database) =>
        $"Host={DatabaseAlias};Port=5432;Username=postgres;Password={Password};Database={database}";

    /// <summary>
    /// As the test host reaches PostgreSQL: its published port, which changes when the container is
    /// started again. No pooling, so a restart leaves no broken connection behind.
    /// </summary>
    public string ConnectionStringFromHost(string database) =>
        new NpgsqlConnectionStringBuilder(Postgres.GetConnectionString()) { Database = database, Pooling = false }.ConnectionString;

    /// <summary>A new empty database on the same server (the service migrates it when it starts).</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using var admin = new NpgsqlConnection(ConnectionStringFromHost("postgres"));
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
        await create.ExecuteNonQueryAsync();
        return name;
    }

    public async Task DisposeAsync()
    {
        // Testcontainers' reaper is off here (its image is not available): everything is removed explicitly.
        if (Service is not null) await Service.DisposeAsync();
        if (Postgres is not null) await Postgres.DisposeAsync();
        if (Network is not null) await Network.DisposeAsync();
    }
}
