using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Telemetry;

// Activity listeners are process-wide: another test's host that traces in memory (TelemetryCapture) would record this
// test's activities too, so it runs alone, after the parallel classes.
[CollectionDefinition(nameof(TracingWithoutExporterTests), DisableParallelization = true)]
public sealed class TracingWithoutExporterCollection;

/// <summary>
/// Without an exporter the service builds no spans, not even for a request whose caller's trace is sampled: spans
/// that nobody receives cost every request CPU for nothing. The problem's traceId still names the caller's trace
/// (docs/api.md). With an exporter, TelemetryTests and OtlpExportTests show the spans.
/// </summary>
[Collection(nameof(TracingWithoutExporterTests))]
public sealed class TracingWithoutExporterTests
{
    [Fact]
    public async Task SampledCallerTrace_GetsNoRecordedSpan_AndItsTraceIdInTheProblem()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var traceId = ActivityTraceId.CreateRandom();
        var stopped = new ConcurrentQueue<Activity>();
        // Samples nothing itself: it sees the activities the service creates anyway (hosting keeps one for its logs),
        // and whether the service's own tracing recorded them.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "Npgsql" or "AuthService",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId) stopped.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/signin") { Content = JsonContent.Create(new { email = "nobody@example.com", password = "wrong password" }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith($"00-{traceId}-", problem.GetProperty("traceId").GetString());
        // The request's own activity ends just after the answer is sent: wait for it, then nothing may have been recorded.
        await Wait.UntilAsync(() => Task.FromResult(stopped.Any(a => a.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn")),
            "the request's activity to end");
        Assert.DoesNotContain(stopped, a => a.Recorded);
    }
}
