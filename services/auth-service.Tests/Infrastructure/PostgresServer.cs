using System.Diagnostics;
using AuthService.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// One real, throwaway PostgreSQL cluster for the whole test run, started from the machine's
/// binaries (initdb + pg_ctl, temp dir, free loopback port; as the <c>postgres</c> user when the
/// tests run as root, since the server refuses root). Set <c>AUTH_TEST_DATABASE_URL</c> to use an
/// existing server instead. Every test class gets its own database from it (a copy of a migrated template).
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);

    private readonly string? dataDir;
    private readonly string? binDir;

    private PostgresServer(string adminConnectionString, string? dataDir, string? binDir, int port)
    {
        AdminConnectionString = adminConnectionString;
        this.dataDir = dataDir;
        this.binDir = binDir;
        Port = port;
        migratedTemplate = new(CreateMigratedTemplateAsync);
    }

    public string AdminConnectionString { get; }
    public int Port { get; }
    public bool IsEphemeral => dataDir is not null;

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>
    /// A second ephemeral cluster of its own (never <c>AUTH_TEST_DATABASE_URL</c>), for outage tests:
    /// stopping the shared cluster would break every test class running in parallel. Call
    /// <see cref="Destroy"/> when done.
    /// </summary>
    public static Task<PostgresServer> StartDedicatedAsync() => StartEphemeralAsync(FindBinDir());

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

    /// <summary>Stops the ephemeral server (fast shutdown), for outage tests.</summary>
    public Task StopAsync() => PgCtlAsync("-m", "fast", "-w", "stop");

    public Task StartAgainAsync() => PgCtlAsync("-w", "-l", Path.Combine(dataDir!, "server.log"), "-o", ServerOptions(Port, dataDir!), "start");

    private static async Task<PostgresServer> StartAsync()
    {
        var url = Environment.GetEnvironmentVariable("AUTH_TEST_DATABASE_URL");
        if (!string.IsNullOrWhiteSpace(url)) return new PostgresServer(ToConnectionString(url), null, null, 0);

        var bin = FindBinDir();
        await RemoveLeftoversAsync(bin);
        return await StartEphemeralAsync(bin);
    }

    private static async Task<PostgresServer> StartEphemeralAsync(string bin)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"auth-tests-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(dir);
        if (IsRoot) await RunAsync("chown", "postgres:", dir);
        var port = FreePort.Next();
        var server = new PostgresServer(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Timeout=5;Maximum Pool Size=5",
            dir, bin, port);
        await RunAsOwnerAsync(Path.Combine(bin, "initdb"), "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync");
        await server.StartAgainAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Destroy();
        return server;
    }

    /// <summary>Data directories of earlier runs whose test process is gone (a killed run cannot clean up after itself).</summary>
    private static async Task RemoveLeftoversAsync(string bin)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "auth-tests-pg-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length <= 3 || !int.TryParse(parts[3], out var pid) || Directory.Exists($"/proc/{pid}")) continue;
            try
            {
                if (File.Exists(Path.Combine(dir, "postmaster.pid")))
                    await RunAsOwnerAsync(Path.Combine(bin, "pg_ctl"), "-D", dir, "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Not running any more.
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { /* another run may be removing it */ }
        }
    }

    private static string ServerOptions(int port, string dir) =>
        $"-p {port} -c listen_addresses=127.0.0.1 -k {dir} -c max_connections=1000 -c fsync=off " +
        "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB";

    private Task PgCtlAsync(params string[] args) =>
        RunAsOwnerAsync(Path.Combine(binDir ?? throw new InvalidOperationException("Not an ephemeral server."), "pg_ctl"), ["-D", dataDir!, .. args]);

    /// <summary>Stops an ephemeral cluster at once and deletes its data directory.</summary>
    public void Destroy()
    {
        try
        {
            PgCtlAsync("-m", "immediate", "-w", "stop").Wait(TimeSpan.FromSeconds(10));
        }
        catch
        {
            // The run is over; a server that is already gone is fine.
        }
        try { Directory.Delete(dataDir!, recursive: true); } catch { /* best effort */ }
    }

    private static string FindBinDir()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            : Enumerable.Empty<string>();
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found: run `make deps` (apt-get install postgresql) or set AUTH_TEST_DATABASE_URL.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsOwnerAsync(string file, params string[] args) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", file, .. args]) : RunAsync(file, args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
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
