using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// The service as it ships: the output of <c>dotnet publish -c Release</c>, the Native AOT executable
/// <c>AuthService</c> (the Dockerfile's entrypoint), run as its own process, so the runtime is the
/// published one (compiled ahead of time, trimmed, its own runtime settings) and not the test host's.
/// Configuration comes from the environment, as in the container. Tests using it carry <c>[Trait("Category", "PublishedBuild")]</c>.
/// </summary>
/// <remarks>
/// Compiled once per test run: <c>make test</c> copies the executable out of the service image (or
/// publishes it without a Docker engine) into <c>artifacts/publish</c> and passes that as
/// <c>AUTH_TEST_PUBLISH_DIR</c>, which is used as it is (scripts/test.sh). Without it (a filtered
/// <c>dotnet test</c>), the first test to need it publishes into <c>artifacts/publish</c> itself:
/// incremental (the AOT compile is skipped when nothing changed), never a stale build from an earlier run.
/// </remarks>
public sealed class PublishedService : IAsyncDisposable
{
    public const string Category = "PublishedBuild";

    /// <summary>The published executable's file name.</summary>
    public const string Executable = "AuthService";

    private static readonly Lazy<Task<string>> Published = new(PublishAsync);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private PublishedService(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        // A test run that dies must not leave the service running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public Uri BaseAddress { get; }
    public int ProcessId => process.Id;

    /// <summary>What the service wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>The publish output directory (publishes first when missing or stale).</summary>
    public static Task<string> PublishDirectoryAsync() => Published.Value;

    /// <summary>
    /// Production settings from the environment, as a deployment sets them, plus the dev mailbox
    /// (so a test can follow email links) and a rate limit that a test's burst does not reach.
    /// </summary>
    public static Dictionary<string, string> ProductionEnvironment(string connectionString, int port) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
        ["ConnectionStrings__Postgres"] = connectionString,
        ["Auth__Issuer"] = $"http://127.0.0.1:{port}",
        ["Auth__KeyEncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["DevEndpoints__Enabled"] = "true",
        ["RateLimits__PermitLimit"] = "100000",
        ["Email__PollInterval"] = "00:00:00.200",
    };

    /// <summary>Starts the published service on a free loopback port and waits for /readyz.</summary>
    public static async Task<PublishedService> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? extra = null)
    {
        var port = FreePort.Next();
        var environment = ProductionEnvironment(connectionString, port);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;

        var service = new PublishedService(Start(await PublishDirectoryAsync(), environment), new Uri($"http://127.0.0.1:{port}"));
        try
        {
            await service.WaitUntilReadyAsync();
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs the published service with <paramref name="environment"/> expecting it to stop by itself
    /// (a startup failure, or an operator command in <paramref name="args"/>); returns its exit code and
    /// output. Fails when it is still running after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(Dictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var service = new PublishedService(Start(await PublishDirectoryAsync(), environment, args), new Uri(environment["ASPNETCORE_URLS"]));
        await using (service)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await service.process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"The service was still running after {timeout}: {service.Output}");
            }
            return (service.process.ExitCode, service.Output);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { /* reported by the OS */ }
        process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The published service exited with {process.ExitCode} before it was ready: {Output}");
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Slow answer while starting; try again.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The published service was not ready after {ReadyTimeout}: {Output}");
            await Task.Delay(100);
        }
    }

    private static Process Start(string publishDir, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(publishDir, Executable), args)
        {
            WorkingDirectory = publishDir, // the content root, as WORKDIR /app in the image
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        ScrubInherited(psi);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"{Executable} did not start.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Drops what the test run's own environment would otherwise pass on: runtime knobs
    /// (<c>DOTNET_*</c>, <c>COMPlus_*</c>), ASP.NET settings, configuration overrides (<c>A__B</c>),
    /// and the test runner's and MSBuild's variables. The child sees only what the test sets.
    /// </summary>
    private static void ScrubInherited(ProcessStartInfo psi)
    {
        string[] prefixes = ["DOTNET_", "COMPlus_", "CORECLR_", "ASPNETCORE_", "MSBuild", "MSBUILD", "VSTEST", "TESTINGPLATFORM"];
        foreach (var key in psi.Environment.Keys.ToList())
            if (key.Contains("__", StringComparison.Ordinal) || prefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
                psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>The dotnet host running these tests (testhost runs under it), else the one on PATH: it publishes.</summary>
    private static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static async Task<string> PublishAsync()
    {
        var given = Environment.GetEnvironmentVariable("AUTH_TEST_PUBLISH_DIR");
        if (!string.IsNullOrWhiteSpace(given))
        {
            var dir = Path.GetFullPath(given);
            if (!File.Exists(Path.Combine(dir, Executable)))
                throw new InvalidOperationException($"AUTH_TEST_PUBLISH_DIR={given} holds no {Executable} executable.");
            return dir;
        }

        var root = Infrastructure.RepositoryRoot.Path;
        var output = Path.Combine(root, "artifacts", "publish");

        var psi = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The same command as `make test` (and close to the Dockerfile's): Release, one output folder.
        // A Native AOT publish takes minutes when the code changed, seconds when it did not.
        // No build servers: nothing started by a test outlives it.
        foreach (var a in new[] { "publish", "services/auth-service", "-c", "Release", "-o", output, "--nologo", "--disable-build-servers" })
            psi.ArgumentList.Add(a);
        ScrubInherited(psi);
        using var publish = Process.Start(psi)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        if (publish.ExitCode != 0)
            throw new InvalidOperationException($"dotnet publish exited {publish.ExitCode}: {await stdout}{await stderr}");
        return output;
    }
}
