using System.Text.RegularExpressions;

namespace AuthService.Tests.Telemetry;

/// <summary>One label matcher of a selector: <c>label op "value"</c>, op one of = != =~ !~.</summary>
public sealed record LabelMatcher(string Label, string Op, string Value);

/// <summary>
/// A series selector found in a PromQL expression: a metric name and its label matchers. Enough PromQL
/// for the rules and dashboards here (selectors, functions, aggregations with by/without, arithmetic,
/// ranges including Grafana's $__rate_interval); not a full parser.
/// </summary>
public sealed partial record PromQlSelector(string Metric, IReadOnlyList<LabelMatcher> Matchers)
{
    private static readonly HashSet<string> Keywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"];

    public static IReadOnlyList<PromQlSelector> Parse(string expression)
    {
        var text = Ranges().Replace(expression, " ");
        text = Grouping().Replace(text, " ");
        var found = new List<PromQlSelector>();
        text = WithMatchers().Replace(text, m =>
        {
            var matchers = Matcher().Matches(m.Groups["matchers"].Value)
                .Select(x => new LabelMatcher(x.Groups["label"].Value, x.Groups["op"].Value, Regex.Unescape(x.Groups["value"].Value))).ToList();
            found.Add(new PromQlSelector(m.Groups["name"].Value, matchers));
            return " ";
        });
        foreach (Match bare in BareName().Matches(text))
            if (!Keywords.Contains(bare.Value.ToLowerInvariant())) found.Add(new PromQlSelector(bare.Value, []));
        return found;
    }

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(?<matchers>[^}]*)\}")]
    private static partial Regex WithMatchers();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Matcher();

    // A name not followed by "(" (a function or aggregation) and not part of a number (1e3, 0.95).
    [GeneratedRegex(@"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\()(?![\w.])")]
    private static partial Regex BareName();
}
