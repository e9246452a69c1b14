using AuthService.Options;
using Microsoft.Extensions.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AuthService.Telemetry;

internal static class TelemetryRegistration
{
    public const string ServiceName = "auth-service";

    /// <summary>
    /// OpenTelemetry traces (ASP.NET Core, outgoing HTTP, Npgsql, the service's own spans) and metrics
    /// (ASP.NET Core and Kestrel, HTTP client, runtime, Npgsql, the <c>AuthService</c> meter). Exported over OTLP
    /// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard <c>OTEL_*</c> variables configure it),
    /// and scraped at <c>/metrics</c> on a port of its own when <c>Telemetry:PrometheusEndpoint:Enabled</c>.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var prometheus = configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>()?.PrometheusEndpoint.Enabled ?? false;

        services.AddSingleton<AuthMetrics>();
        // The meters of this host only (MeterScope.Local: created through its IMeterFactory), where the SDK's
        // AddMeter (and AddAspNetCoreInstrumentation) would take every meter of the name in the process: the
        // scrapes served by PrometheusEndpoint's own server stay out of http.server.*, and test hosts that
        // share a process keep their counts apart.
        services.AddMetrics(m => m
            .EnableMetrics(AuthMetrics.MeterName, scopes: MeterScope.Local)
            .EnableMetrics("Microsoft.AspNetCore", scopes: MeterScope.Local)); // Hosting, Kestrel, Routing, RateLimiting, …
        services.AddSingleton<StateGauges>().AddHostedService(sp => sp.GetRequiredService<StateGauges>());
        services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service instead.
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                    resource.AddService(ServiceName, serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString());
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(AuthTracing.SourceName)
                    // Probes every few seconds per pod would drown the traces worth reading.
                    .AddAspNetCoreInstrumentation(o => o.Filter = http =>
                        !http.Request.Path.StartsWithSegments("/healthz") && !http.Request.Path.StartsWithSegments("/readyz"))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                // Without an exporter no span is built: every request would pay for spans nobody receives. Whoever
                // adds a processor (the tests' in-memory exporter) sets a sampler of its own.
                if (otlp) tracing.AddOtlpExporter();
                else tracing.SetSampler(new AlwaysOffSampler());
            })
            .WithMetrics(metrics =>
            {
                metrics.AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (otlp) metrics.AddOtlpExporter();
                // service_name on every series, so rules and dashboards find this service whatever the scrape job is called.
                if (prometheus) metrics.AddPrometheusExporter(o => o.ResourceConstantLabels = key => key == "service.name");
            });
        if (prometheus) services.AddSingleton<PrometheusEndpoint>().AddHostedService(sp => sp.GetRequiredService<PrometheusEndpoint>());
        return builder;
    }
}
