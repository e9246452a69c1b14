using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AuthService.Tests.Telemetry;

/// <summary>One measurement as exported: a counter's sum, a gauge's value or a histogram's count.</summary>
public sealed record MeasuredPoint(string Name, string? Unit, IReadOnlyDictionary<string, object?> Tags, double Value);

/// <summary>
/// The service's spans and metrics through OpenTelemetry's in-memory exporter, added beside the service's
/// own exporters. Activity listeners are process-wide, so spans of other test classes' services show up
/// too: filter by trace id. Counters are cumulative and shared the same way: compare before and after.
/// </summary>
public sealed class TelemetryCapture
{
    private readonly LockedCollection<Activity> spans = [];
    private readonly List<Metric> exported = [];
    private readonly BaseExportingMetricReader reader;

    public TelemetryCapture() => reader = new BaseExportingMetricReader(new InMemoryExporter<Metric>(exported));

    public void AddTo(IServiceCollection services)
    {
        // The service samples nothing when it exports nowhere: this exporter wants OpenTelemetry's default sampler back.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler()))
            .AddProcessor(new SimpleActivityExportProcessor(new InMemoryExporter<Activity>(spans))));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddReader(reader));
    }

    /// <summary>Every span ended so far.</summary>
    public IReadOnlyList<Activity> Spans => spans.Snapshot();

    /// <summary>Collects now and returns every point, copied before the next collection reuses them.</summary>
    public IReadOnlyList<MeasuredPoint> Measure()
    {
        lock (exported)
        {
            exported.Clear();
            Assert.True(reader.Collect(), "the in-memory metric reader did not collect");
            var points = new List<MeasuredPoint>();
            foreach (var metric in exported)
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var tag in point.Tags) tags[tag.Key] = tag.Value;
                    points.Add(new MeasuredPoint(metric.Name, metric.Unit, tags, Value(metric.MetricType, point)));
                }
            return points;
        }
    }

    /// <summary>The sum of <paramref name="name"/> over the points whose <paramref name="tag"/> is <paramref name="value"/> (or all points).</summary>
    public double Sum(string name, string? tag = null, string? value = null) =>
        Measure().Where(p => p.Name == name && (tag is null || Equals(p.Tags.GetValueOrDefault(tag), value))).Sum(p => p.Value);

    private static double Value(MetricType type, in MetricPoint point) => type switch
    {
        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
        MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
        MetricType.LongGauge => point.GetGaugeLastValueLong(),
        MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
        MetricType.Histogram or MetricType.ExponentialHistogram => point.GetHistogramCount(),
        _ => double.NaN,
    };
}
