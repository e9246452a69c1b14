using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// The real service in memory (WebApplicationFactory) against its own real PostgreSQL database,
/// with a movable clock and captured logs. Settings follow a production-like "Testing" environment:
/// Secure cookies, explicit issuer and key-encryption key, dev mailbox switched on.
/// </summary>
public sealed class AuthServiceFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public const string Issuer = "https://auth.test";
    public const string AllowedOrigin = "https://app.test";

    /// <summary>Fixed per test run so two instances on one database share keys, as replicas do.</summary>
    public static readonly string KeyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string ConnectionString { get; } = connectionString;
    public TestClock Clock { get; } = new();
    public CapturedLogs Logs { get; } = new();

    /// <summary>Extra test services, applied after the service's own (e.g. in-memory telemetry exporters).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    private string? kestrelUrl;

    /// <summary>
    /// Serves on a real Kestrel socket at http://127.0.0.1:port (0: a free port), bound through the
    /// host's own <c>urls</c> setting. WebApplicationFactory's <c>UseKestrel(port)</c> instead rewrites
    /// the server's addresses after the host is built, racing the service's own start: a loaded
    /// machine saw "Addresses cannot be modified after the server has started".
    /// </summary>
    public void ListenOnLoopback(int port = 0)
    {
        kestrelUrl = $"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        UseKestrel();
    }

    /// <summary>Races the service's start (see <see cref="ListenOnLoopback"/>).</summary>
    [Obsolete("Use ListenOnLoopback(port): UseKestrel(port) races the host's start.", error: true)]
    public new void UseKestrel(int port) => throw new NotSupportedException();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var defaults = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["Auth:Issuer"] = Issuer,
            ["Auth:AppBaseUrl"] = AllowedOrigin,
            ["Auth:AllowedOrigins:0"] = AllowedOrigin,
            ["Auth:KeyEncryptionKey"] = KeyEncryptionKey,
            ["DevEndpoints:Enabled"] = "true",
            ["Email:PollInterval"] = "00:00:00.200",
            // Off, as in Development: tests mail one address many times; the throttle tests set it.
            ["Email:MinIntervalPerAddress"] = "00:00:00",
            // Every in-memory request comes from one unknown address; rate-limit tests lower this.
            ["RateLimits:PermitLimit"] = "100000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) defaults[key] = value;
        foreach (var (key, value) in defaults) builder.UseSetting(key, value);
        if (kestrelUrl is not null) builder.UseSetting(WebHostDefaults.ServerUrlsKey, kestrelUrl);

        builder.ConfigureLogging(logging => logging.ClearProviders().AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            ConfigureServices?.Invoke(services);
        });
    }

    /// <summary>Starts the service and waits until it is migrated and ready.</summary>
    public async Task<AuthServiceFactory> StartAsync()
    {
        using var client = CreateClient();
        await Wait.UntilAsync(async () => (await client.GetAsync("/readyz")).IsSuccessStatusCode,
            "the service to become ready (/readyz)", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50));
        return this;
    }

    /// <summary>
    /// Starts the service with settings that must stop it, and returns what an operator would see:
    /// every message of the exception and what the host logged as it failed. (The test host can
    /// surface only an ObjectDisposedException of its own, racing the failed start; the host's log
    /// still carries the real failure.) Fails when the service starts.
    /// </summary>
    public static async Task<string> StartupFailureAsync(string connectionString, IReadOnlyDictionary<string, string?> settings)
    {
        var factory = new AuthServiceFactory(connectionString, settings);
        try
        {
            var exception = Record.Exception(() => factory.CreateClient());
            Assert.True(exception is not null, "The service started despite the bad settings.");
            return string.Join(" | ", Flatten(exception).Select(e => $"{e.GetType().Name}: {e.Message}").Concat(factory.Logs.Lines));
        }
        finally
        {
            try { await factory.DisposeAsync(); } catch { /* a host that never started may not dispose cleanly */ }
        }

        static IEnumerable<Exception> Flatten(Exception? e)
        {
            for (; e is not null; e = e.InnerException)
            {
                yield return e;
                if (e is AggregateException aggregate)
                    foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                        yield return inner;
            }
        }
    }

    public static async Task<AuthServiceFactory> CreateAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var server = await PostgresServer.GetAsync();
        var factory = new AuthServiceFactory(await server.CreateDatabaseAsync(), settings);
        return await factory.StartAsync();
    }
}
