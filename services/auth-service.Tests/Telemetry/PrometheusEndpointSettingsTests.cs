using System.Net;
using System.Net.Sockets;
using AuthService.Telemetry;
using AuthService.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// Telemetry:PrometheusEndpoint: on by default in Development only, on a port of its own that may never be
/// the API's, and a port that cannot be bound costs the metrics, not the service.
/// </summary>
public sealed class PrometheusEndpointSettingsTests
{
    [Fact]
    public async Task OutsideDevelopment_ByDefault_NoMetricsEndpointRuns()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(); // environment "Testing", appsettings.json defaults

        Assert.Null(factory.Services.GetService<PrometheusEndpoint>());
    }

    [Fact]
    public async Task InDevelopment_ByDefault_MetricsAreServed()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["environment"] = "Development",
            ["Telemetry:PrometheusEndpoint:Port"] = "0", // appsettings.Development.json enables it; 9464 may be taken here
        });

        var address = factory.Services.GetRequiredService<PrometheusEndpoint>().Address;
        Assert.NotNull(address);
        using var scraper = new HttpClient();
        Assert.Contains("auth_signin_attempts_total", await scraper.GetStringAsync(address));
    }

    [Fact]
    public async Task PortOfTheApi_StopsStartup_NamingTheSetting()
    {
        var server = await PostgresServer.GetAsync();
        var message = await AuthServiceFactory.StartupFailureAsync(await server.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:5123",
            ["Telemetry:PrometheusEndpoint:Enabled"] = "true",
            ["Telemetry:PrometheusEndpoint:Port"] = "5123",
        });

        Assert.Contains("Telemetry:PrometheusEndpoint:Port", message);
    }

    [Fact]
    public async Task FreePortOnBothSides_IsTwoPorts_AndBothServe()
    {
        var server = await PostgresServer.GetAsync();
        await using var factory = new AuthServiceFactory(await server.CreateDatabaseAsync(), new Dictionary<string, string?>
        {
            ["Telemetry:PrometheusEndpoint:Enabled"] = "true",
            ["Telemetry:PrometheusEndpoint:Port"] = "0",
        });
        factory.ListenOnLoopback(0);
        await factory.StartAsync();

        var metrics = factory.Services.GetRequiredService<PrometheusEndpoint>().Address;
        Assert.NotNull(metrics);
        var api = new AuthClient(factory).Http.BaseAddress!;
        Assert.NotEqual(api.Port, metrics.Port);
        using var scraper = new HttpClient();
        Assert.Contains("auth_signin_attempts_total", await scraper.GetStringAsync(metrics));
    }

    [Fact]
    public async Task PortAlreadyTaken_IsLogged_AndTheApiKeepsServing()
    {
        using var squatter = new TcpListener(IPAddress.Any, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Telemetry:PrometheusEndpoint:Enabled"] = "true",
            ["Telemetry:PrometheusEndpoint:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        Assert.Null(factory.Services.GetRequiredService<PrometheusEndpoint>().Address);
        Assert.Contains(factory.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains($"port {port} cannot be bound"));
        var client = new AuthClient(factory);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/readyz")).StatusCode);
        await client.SignupAndSigninAsync();
    }
}
