using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using Testcontainers.PostgreSql;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL container from Testcontainers (image <see cref="DockerEngine.PostgresImage"/>) with
/// the local cluster's settings. Ryuk, Testcontainers' reaper, comes from a registry these machines cannot
/// reach (TESTCONTAINERS_RYUK_DISABLED=true): instead the container is removed when this process ends
/// (<see cref="ExitCleanup"/>), and carries this process's id so that the next run removes one left behind all
/// the same.
/// </summary>
public sealed class PostgresContainer
{
    private const string RunLabel = "dev.auth-service.tests.run";
    private static readonly string RunId = $"{Environment.MachineName}/{Environment.ProcessId}";
    private static readonly Lazy<Task> LeftoversRemoved = new(RemoveLeftoversAsync);

    /// <summary>Removes a container with its data volume: sh with the container id as $1.</summary>
    private const string RemoveScript = "docker rm --force --volumes \"$1\"";

    private readonly PostgreSqlContainer container;
    private readonly ExitCleanup cleanup;
    private readonly string endpoint;

    private PostgresContainer(PostgreSqlContainer container, string host, int port, string route)
    {
        this.container = container;
        cleanup = ExitCleanup.Register(RemoveScript, container.Id);
        endpoint = $"{host}:{port} ({route})";
        AdminConnectionString = new NpgsqlConnectionStringBuilder(container.GetConnectionString())
        {
            Host = host, Port = port, Timeout = 5, MaxPoolSize = 5,
        }.ConnectionString;
    }

    public string AdminConnectionString { get; }

    public override string ToString() => $"a container of {DockerEngine.PostgresImage} (Testcontainers, {container.Id[..12]}) at {endpoint}";

    public static async Task<PostgresContainer> StartAsync()
    {
        await LeftoversRemoved.Value;
        var container = new PostgreSqlBuilder()
            .WithImage(DockerEngine.PostgresImage)
            // The builder already passes fsync, full_page_writes and synchronous_commit off; the rest of the local cluster's settings.
            .WithCommand([.. PostgresServer.CapacitySettings.SelectMany(s => new[] { "-c", s })])
            .WithLabel(RunLabel, RunId)
            // A password of its own rather than the builder's default "postgres", which is a substring of
            // everyday values ("postgresql"): the secret scans look for it in logs, spans and metrics.
            .WithPassword("pg-" + Guid.NewGuid().ToString("N"))
            .Build();
        try
        {
            await container.StartAsync();
        }
        catch
        {
            await container.DisposeAsync(); // one that never became ready
            throw;
        }
        // The container's own address on the bridge network when this machine reaches it (an engine on this Linux
        // machine): a published port on 127.0.0.1 goes through docker-proxy, which made a query's round trip
        // 1.5-4.7 times slower when measured. Elsewhere (a remote engine, Docker Desktop) the published port.
        return ViaBridge && await ReachesAsync(container.IpAddress, PostgreSqlBuilder.PostgreSqlPort)
            ? new PostgresContainer(container, container.IpAddress, PostgreSqlBuilder.PostgreSqlPort, "bridge network")
            : new PostgresContainer(container, container.Hostname, container.GetMappedPublicPort(PostgreSqlBuilder.PostgreSqlPort), "published port");
    }

    // Only an engine on this machine (a Unix socket) has a bridge network here; a remote one's addresses may be anyone's.
    private static bool ViaBridge => TestcontainersSettings.OS.DockerEndpointAuthConfig.Endpoint.Scheme == "unix";

    private static async Task<bool> ReachesAsync(string host, int port)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await tcp.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Removes the container at once (a throwaway server needs no clean shutdown) with its data volume.</summary>
    public void Destroy() => cleanup.RunNow();

    /// <summary>Containers of earlier runs on this machine whose test process is gone.</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var listed = await ChildProcess.RunAsync("docker", "ps", "--all", "--filter", "label=" + RunLabel, "--format", $"{{{{.ID}}}} {{{{.Label \"{RunLabel}\"}}}}");
        foreach (var line in listed.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 2);
            var run = parts.Length == 2 ? parts[1].Split('/') : [];
            if (run.Length != 2 || run[0] != Environment.MachineName || !int.TryParse(run[1], out var pid) || ChildProcess.IsRunning(pid)) continue;
            // Another run may have removed it first.
            await ChildProcess.RunAsync("sh", "-c", RemoveScript + "; true", "sh", parts[0]);
        }
    }
}
