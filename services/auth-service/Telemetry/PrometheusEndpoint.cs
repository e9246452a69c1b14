using System.Globalization;
using AuthService.Options;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace AuthService.Telemetry;

/// <summary>
/// <c>GET /metrics</c> (Prometheus text format) served by a Kestrel server of its own on
/// <c>Telemetry:PrometheusEndpoint:Port</c>. The public pipeline never maps the path, so the API port
/// answers 404 there, and the metrics port answers nothing else; a NetworkPolicy can then open this
/// port to the scraper alone (a policy cannot filter by path). A port that cannot be bound is logged
/// and the API keeps serving: losing metrics must not take signins down (the scraper's <c>up</c> shows it).
/// </summary>
internal sealed class PrometheusEndpoint(MeterProvider meterProvider, IOptions<TelemetryOptions> options, ILoggerFactory loggerFactory)
    : IHostedService, IAsyncDisposable
{
    public const string Path = "/metrics";

    private readonly ILogger logger = loggerFactory.CreateLogger<PrometheusEndpoint>();
    private WebApplication? server;

    /// <summary>Where /metrics is served once started (the bound port when 0 was configured); null when not serving.</summary>
    public Uri? Address { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var port = options.Value.PrometheusEndpoint.Port;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ListenAnyIP(port);
        });
        var app = builder.Build();
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider, predicate: null, path: Path, configureBranchedPipeline: null, optionsName: null);
        // Anything else falls through to the pipeline's end: an empty 404.
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            logger.LogError(e, "Metrics endpoint not served: port {Port} cannot be bound", port);
            await app.DisposeAsync();
            return;
        }
        server = app;
        var bound = BindingAddress.Parse(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        Address = new Uri($"http://localhost:{bound.Port.ToString(CultureInfo.InvariantCulture)}{Path}");
        logger.LogInformation("Metrics served at {Address}", Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (server is not null) await server.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
    }

    /// <summary>
    /// The ports the API listens on, as configured through the standard settings (<c>urls</c>,
    /// <c>http_ports</c>, <c>https_ports</c>, e.g. ASPNETCORE_HTTP_PORTS), or Kestrel's 5000 when none is set.
    /// </summary>
    public static IReadOnlySet<int> PublicPorts(IConfiguration configuration)
    {
        var ports = new HashSet<int>();
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                ports.Add(BindingAddress.Parse(url).Port);
            }
            catch (FormatException)
            {
                // Kestrel refuses it at startup with its own message.
            }
        }
        foreach (var key in new[] { "http_ports", "https_ports" })
            foreach (var value in (configuration[key] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port)) ports.Add(port);
        if (ports.Count == 0) ports.Add(5000);
        return ports;
    }
}
