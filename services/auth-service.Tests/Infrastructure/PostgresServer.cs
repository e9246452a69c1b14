using AuthService.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// The tests' PostgreSQL: one real, throwaway server for the whole run, from one of three sources.
/// <c>AUTH_TEST_DATABASE_URL</c> names an existing server and wins. Otherwise <c>AUTH_TEST_POSTGRES</c> picks:
/// <c>local</c>, a cluster from the machine's binaries (<see cref="LocalPostgresCluster"/>); <c>container</c>,
/// a Testcontainers container (<see cref="PostgresContainer"/>); or <c>auto</c>, the default: a container when
/// a Docker engine answers, else (or when the container does not start) local. The run's output names it.
/// Both started kinds run with the same settings and are removed when the test process ends
/// (<see cref="ExitCleanup"/>). Every test class gets its own database from it (a copy of a migrated template).
/// </summary>
public sealed class PostgresServer
{
    /// <summary>Durability off: a throwaway server, and the suite creates a database per test class.</summary>
    public static readonly IReadOnlyList<string> DurabilitySettings = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];

    /// <summary>Room for every test class's connection pool at once.</summary>
    public static readonly IReadOnlyList<string> CapacitySettings = ["max_connections=1000", "shared_buffers=64MB"];

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartSharedAsync);

    private readonly LocalPostgresCluster? cluster;
    private readonly PostgresContainer? container;

    private PostgresServer(PostgresSource source, string adminConnectionString)
    {
        Source = source;
        AdminConnectionString = adminConnectionString;
        migratedTemplate = new(CreateMigratedTemplateAsync);
    }

    private PostgresServer(LocalPostgresCluster cluster) : this(PostgresSource.Local, cluster.AdminConnectionString) => this.cluster = cluster;

    private PostgresServer(PostgresContainer container) : this(PostgresSource.Container, container.AdminConnectionString) => this.container = container;

    public PostgresSource Source { get; }
    public string AdminConnectionString { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>
    /// A second server of its own, for outage tests (stopping the shared one would break every test class
    /// running in parallel): always a local cluster, whatever the run uses, because it stops and starts again
    /// on the same port with its data (a restarted container can come back on another address or published port). Call
    /// <see cref="Destroy"/> when done.
    /// </summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartAsync(PostgresSource.Local);

    /// <summary>A new server of its own from <paramref name="source"/> (local or container), whatever the run uses; removed by <see cref="Destroy"/>, or when the test process ends.</summary>
    public static async Task<PostgresServer> StartAsync(PostgresSource source) => source switch
    {
        PostgresSource.Local => new PostgresServer(await LocalPostgresCluster.StartAsync()),
        PostgresSource.Container => new PostgresServer(await PostgresContainer.StartAsync()),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Only a local cluster or a container can be started."),
    };

    /// <summary>What the server is, for the run's output.</summary>
    public override string ToString() => cluster?.ToString() ?? container?.ToString() ?? "the existing server in AUTH_TEST_DATABASE_URL";

    /// <summary>
    /// A new database for one test class; returns its connection string. By default it is a copy of
    /// this server's migrated template (every embedded migration applied, no rows: no signing key, so
    /// each class's service still creates its own key at its first start). Pass <paramref name="empty"/>
    /// for tests that watch the service migrate or start on a fresh database.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(bool empty = false)
    {
        var name = "auth_test_" + Guid.NewGuid().ToString("N")[..16];
        var template = empty ? null : await migratedTemplate.Value;
        // PostgreSQL refuses to copy a template that another session (or a concurrent copy) is using: one at a time.
        await createLock.WaitAsync();
        try
        {
            await using var conn = new NpgsqlConnection(AdminConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(template is null ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {template}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        finally
        {
            createLock.Release();
        }
        return ForDatabase(name);
    }

    private readonly SemaphoreSlim createLock = new(1, 1);
    private readonly Lazy<Task<string>> migratedTemplate;

    // Idle connections are closed soon: the tests' own pools (one per database) would otherwise stay
    // open for minutes after their class is done, and a full run has many classes.
    private string ForDatabase(string name) => new NpgsqlConnectionStringBuilder(AdminConnectionString)
    {
        Database = name, MaxPoolSize = 30, ConnectionIdleLifetime = 10, ConnectionPruningInterval = 5,
    }.ConnectionString;

    /// <summary>
    /// Once per server: an empty database with the service's embedded migrations applied (its own
    /// <see cref="MigrationRunner"/>, not a started service, so no signing key or other row is made),
    /// over an unpooled connection so that nothing stays connected to it when it is copied.
    /// </summary>
    private async Task<string> CreateMigratedTemplateAsync()
    {
        var name = "auth_template_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(ForDatabase(name)) { Pooling = false }.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
            await using var check = await dataSource.OpenConnectionAsync();
            await using var keys = new NpgsqlCommand("SELECT count(*) FROM signing_keys", check);
            if ((long)(await keys.ExecuteScalarAsync())! != 0) throw new InvalidOperationException("The template database must hold no signing key.");
        }
        await using (var probe = new NpgsqlConnection(connectionString)) NpgsqlConnection.ClearPool(probe);
        return name;
    }

    /// <summary>Stops a local cluster (fast shutdown), for outage tests.</summary>
    public Task StopAsync() => Cluster.StopAsync();

    public Task StartAgainAsync() => Cluster.StartAgainAsync();

    private LocalPostgresCluster Cluster => cluster ?? throw new InvalidOperationException("Only a local cluster stops and starts again (StartDedicatedAsync).");

    /// <summary>Removes a server the tests started, at once; an existing server is left alone.</summary>
    public void Destroy()
    {
        cluster?.Destroy();
        container?.Destroy();
    }

    private static async Task<PostgresServer> StartSharedAsync()
    {
        var url = Environment.GetEnvironmentVariable("AUTH_TEST_DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(url))
            return Announced(new PostgresServer(PostgresSource.External, ToConnectionString(url)), "AUTH_TEST_DATABASE_URL is set");
        var chosen = Environment.GetEnvironmentVariable("AUTH_TEST_POSTGRES") is { Length: > 0 } value ? value.Trim() : "auto";
        if (Is("local")) return Announced(await StartAsync(PostgresSource.Local), "AUTH_TEST_POSTGRES=local");
        if (Is("container"))
        {
            return DockerEngine.IsAvailable
                ? Announced(await StartAsync(PostgresSource.Container), "AUTH_TEST_POSTGRES=container")
                : throw new InvalidOperationException("AUTH_TEST_POSTGRES=container: " + DockerEngine.SkipReason);
        }
        if (!Is("auto")) throw new InvalidOperationException($"AUTH_TEST_POSTGRES={chosen}: expected local, container or auto.");
        if (!DockerEngine.IsAvailable) return Announced(await StartAsync(PostgresSource.Local), "no Docker engine answers");
        try
        {
            return Announced(await StartAsync(PostgresSource.Container), "a Docker engine answers");
        }
        catch (Exception e)
        {
            // auto means the best this machine offers; the Container smoke test still fails on a broken container path.
            return Announced(await StartAsync(PostgresSource.Local), $"the container did not start: {e.GetType().Name}: {e.Message.Trim()} "
                + "(where Ryuk's image cannot be pulled, set TESTCONTAINERS_RYUK_DISABLED=true)");
        }

        bool Is(string name) => chosen.Equals(name, StringComparison.OrdinalIgnoreCase);
    }

    // The run's output says which server it used, and why.
    private static PostgresServer Announced(PostgresServer server, string why)
    {
        Console.WriteLine($"PostgreSQL for this test run: {server} ({why})");
        return server;
    }

    /// <summary>Accepts a postgres:// URL or an Npgsql keyword string.</summary>
    private static string ToConnectionString(string url)
    {
        if (!url.StartsWith("postgres://", StringComparison.Ordinal) && !url.StartsWith("postgresql://", StringComparison.Ordinal)) return url;
        var uri = new Uri(url);
        var user = uri.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Username = Uri.UnescapeDataString(user[0]),
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? db : "postgres",
        }.ConnectionString;
    }
}
