namespace AuthService.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's binaries: initdb into a temp dir (trust auth), pg_ctl on
/// a free loopback port, as the <c>postgres</c> user when the tests run as root (the server refuses root).
/// It can be stopped and started again on the same port with its data, for outage tests.
/// </summary>
public sealed class LocalPostgresCluster
{
    // A killed run cannot clean up after itself: the first cluster of a run removes what earlier runs left.
    private static readonly Lazy<Task> LeftoversRemoved = new(() => RemoveLeftoversAsync(FindBinDir()));

    private readonly string binDir;
    private readonly string dataDir;
    private readonly int port;
    private readonly ExitCleanup cleanup;

    private LocalPostgresCluster(string binDir, string dataDir, int port)
    {
        this.binDir = binDir;
        this.dataDir = dataDir;
        this.port = port;
        cleanup = ExitCleanup.Register(RemoveScript, binDir, dataDir);
    }

    /// <summary>Stops a cluster at once and deletes its data directory: sh with the bin dir as $1, the data dir as $2.</summary>
    private static string RemoveScript => (IsRoot ? "runuser -u postgres -- " : "") + "\"$1/pg_ctl\" -D \"$2\" -m immediate -w stop; rm -rf \"$2\"";

    public string AdminConnectionString => $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=5;Maximum Pool Size=5";

    public override string ToString() => $"a local cluster from {binDir} on 127.0.0.1:{port}";

    public static async Task<LocalPostgresCluster> StartAsync()
    {
        var bin = FindBinDir();
        await LeftoversRemoved.Value;
        var dir = Path.Combine(Path.GetTempPath(), $"auth-tests-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(dir);
        if (IsRoot) await ChildProcess.RunAsync("chown", "postgres:", dir);
        var cluster = new LocalPostgresCluster(bin, dir, FreePort.Next());
        await RunAsOwnerAsync(Path.Combine(bin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync");
        await cluster.StartAgainAsync();
        return cluster;
    }

    /// <summary>Stops the server (fast shutdown); its port and data stay for <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => PgCtlAsync("-m", "fast", "-w", "stop");

    public Task StartAgainAsync()
    {
        var options = $"-p {port} -c listen_addresses=127.0.0.1 -k {dataDir} "
            + string.Join(' ', PostgresServer.DurabilitySettings.Concat(PostgresServer.CapacitySettings).Select(s => "-c " + s));
        return PgCtlAsync("-w", "-l", Path.Combine(dataDir, "server.log"), "-o", options, "start");
    }

    /// <summary>Stops the server at once and deletes its data directory.</summary>
    public void Destroy() => cleanup.RunNow();

    /// <summary>Data directories of earlier runs whose test process is gone.</summary>
    private static async Task RemoveLeftoversAsync(string bin)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "auth-tests-pg-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length <= 3 || !int.TryParse(parts[3], out var pid) || ChildProcess.IsRunning(pid)) continue;
            // pg_ctl fails for a server that is not running any more; the directory goes all the same.
            await ChildProcess.RunAsync("sh", "-c", RemoveScript + "; true", "sh", bin, dir);
        }
    }

    private Task PgCtlAsync(params string[] args) => RunAsOwnerAsync(Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, .. args]);

    private static string FindBinDir()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            : Enumerable.Empty<string>();
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found (the local cluster and the outage tests' dedicated one need them): "
                + "run `make deps` (apt-get install postgresql), "
                + "use a container (AUTH_TEST_POSTGRES=container, with a Docker engine) or set AUTH_TEST_DATABASE_URL.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsOwnerAsync(string file, params string[] args) =>
        IsRoot ? ChildProcess.RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : ChildProcess.RunAsync(file, args);
}
