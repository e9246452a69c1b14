using AuthService.Telemetry;
using AuthService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// The service on real Kestrel with the in-memory exporters attached and /metrics on a free port of its
/// own. Loopback is a trusted proxy, so requests can claim a client address (X-Forwarded-For) that the
/// tests then look for in every attribute, and the connection string carries a password (the test cluster
/// trusts local connections and ignores it) for the same search.
/// </summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    public const string ClientAddress = "203.0.113.77";

    public TelemetryCapture Capture { get; } = new();
    public AuthServiceFactory Factory { get; private set; } = null!;
    public string DatabasePassword { get; private set; } = null!;

    /// <summary>Where the service serves /metrics (the metrics port, not the API's).</summary>
    public Uri MetricsAddress => Factory.Services.GetRequiredService<PrometheusEndpoint>().Address
        ?? throw new InvalidOperationException("The metrics endpoint is not serving.");

    public AuthClient NewClient()
    {
        var client = new AuthClient(Factory);
        client.Http.DefaultRequestHeaders.Add("X-Forwarded-For", ClientAddress);
        return client;
    }

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        var database = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync());
        if (string.IsNullOrEmpty(database.Password)) database.Password = "telemetry-db-password-" + Guid.NewGuid().ToString("N")[..8];
        DatabasePassword = database.Password;
        Factory = new AuthServiceFactory(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Telemetry:PrometheusEndpoint:Enabled"] = "true",
            ["Telemetry:PrometheusEndpoint:Port"] = "0",
            ["RateLimits:TrustedProxies:0"] = "127.0.0.1",
        })
        { ConfigureServices = Capture.AddTo };
        Factory.ListenOnLoopback();
        await Factory.StartAsync();
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
