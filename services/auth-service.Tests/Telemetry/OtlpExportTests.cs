using System.Collections.Concurrent;
using System.Text;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// With the standard OTEL_EXPORTER_OTLP_* settings the service pushes its traces and metrics to a collector
/// (here a stand-in that records what it receives over OTLP/HTTP protobuf).
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Path, string ContentType, byte[] Body)> received = new();
    private WebApplication collector = null!;
    private Uri endpoint = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        collector = builder.Build();
        collector.Run(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            received.Enqueue((http.Request.Path, http.Request.ContentType ?? "", body.ToArray()));
            http.Response.StatusCode = StatusCodes.Status200OK;
        });
        await collector.StartAsync();
        endpoint = new Uri(collector.Urls.First());
    }

    public async Task DisposeAsync() => await collector.DisposeAsync();

    [Fact]
    public async Task WithAnOtlpEndpoint_TracesAndMetricsArePushedThere()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        await new AuthClient(factory).SignupAndSigninAsync();

        await Wait.UntilAsync(() => Task.FromResult(Received("/v1/traces", "password.verify")), "a trace with the signin's hash span at /v1/traces");
        await Wait.UntilAsync(() => Task.FromResult(Received("/v1/metrics", "auth.signin.attempts")), "the AuthService meter at /v1/metrics");
        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        Assert.True(Received("/v1/traces", "auth-service"), "the resource's service.name");
    }

    /// <summary>Protobuf carries strings as their UTF-8 bytes, so a name can be found in a payload as it is.</summary>
    private bool Received(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(bytes) >= 0);
    }
}
