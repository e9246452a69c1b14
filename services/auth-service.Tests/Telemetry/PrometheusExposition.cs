using System.Text.RegularExpressions;

namespace AuthService.Tests.Telemetry;

/// <summary>One sample line of the Prometheus text format: its name and labels.</summary>
public sealed record ExposedSample(string Name, IReadOnlyDictionary<string, string> Labels);

/// <summary>Reads the samples of a /metrics answer (text format 0.0.4) and says whether a selector matches any.</summary>
public static partial class PrometheusExposition
{
    public static IReadOnlyList<ExposedSample> Parse(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(line =>
        {
            var m = Sample().Match(line);
            Assert.True(m.Success, $"Not a sample line: {line}");
            var labels = Label().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups["name"].Value, l => Regex.Unescape(l.Groups["value"].Value));
            return new ExposedSample(m.Groups["name"].Value, labels);
        }).ToList();

    /// <summary>
    /// Null when some sample has the selector's name and every = matcher's value, and every label a
    /// regex matcher (=~) names (its values may not have occurred yet, e.g. 5xx); otherwise why not.
    /// </summary>
    public static string? Mismatch(IReadOnlyList<ExposedSample> samples, PromQlSelector selector)
    {
        var named = samples.Where(s => s.Name == selector.Metric).ToList();
        if (named.Count == 0) return $"{selector.Metric} is not exposed";
        var matching = named.Where(s => selector.Matchers.All(m => m.Op switch
        {
            "=" => s.Labels.GetValueOrDefault(m.Label) == m.Value,
            "=~" => s.Labels.ContainsKey(m.Label),
            _ => true,
        }));
        return matching.Any() ? null
            : $"{selector.Metric}{{{string.Join(",", selector.Matchers.Select(m => $"{m.Label}{m.Op}\"{m.Value}\""))}}} matches no exposed series";
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? \S+( \d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
