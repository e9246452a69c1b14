namespace AuthService.Options;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format, on a port of its own (never the public one), so
/// a NetworkPolicy can open it to the scraper alone. On in Development, off elsewhere unless enabled.
/// </summary>
public sealed class PrometheusEndpointOptions
{
    public bool Enabled { get; set; }

    /// <summary>9464, the port OpenTelemetry's Prometheus exporters use; 0 picks a free one (tests).</summary>
    public int Port { get; set; } = 9464;
}
