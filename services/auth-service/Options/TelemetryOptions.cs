namespace AuthService.Options;

/// <summary>The <c>Telemetry</c> section. OTLP export follows the standard <c>OTEL_*</c> variables instead.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    public PrometheusEndpointOptions PrometheusEndpoint { get; set; } = new();
}
