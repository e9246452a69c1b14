using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// The dashboard and the alert rules against what /metrics really exposes after some traffic (Prometheus
/// names: dots become underscores, counters end in _total, units become suffixes such as _seconds), so a
/// renamed metric or label fails here rather than as an empty panel or an alert that can never fire.
/// </summary>
public sealed partial class MetricNamesCrossCheckTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task EverySelectorOfTheDashboardAndTheRules_MatchesAnExposedSeries()
    {
        var expressions = MonitoringFiles.DashboardExpressions().Concat(MonitoringFiles.RuleExpressions()).ToList();
        Assert.True(expressions.Count >= 20, $"only {expressions.Count} expressions found");
        var selectors = expressions.SelectMany(PromQlSelector.Parse).ToList();
        Assert.Contains(selectors, s => s.Metric == "auth_refresh_attempts_total" && s.Matchers.Any(m => m.Value == "reused"));

        var samples = PrometheusExposition.Parse(await ScrapeAfterTrafficAsync());

        var problems = selectors.Select(s => PrometheusExposition.Mismatch(samples, s)).OfType<string>().Distinct().ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task EveryMetricOfTheAuthServiceMeter_IsOnTheDashboard()
    {
        var samples = PrometheusExposition.Parse(await ScrapeAfterTrafficAsync());
        var used = MonitoringFiles.DashboardExpressions().SelectMany(PromQlSelector.Parse).Select(s => Family(s.Metric)).ToHashSet();

        var own = samples.Where(s => s.Labels.GetValueOrDefault("otel_scope_name") == "AuthService").Select(s => Family(s.Name)).Distinct().ToList();
        Assert.True(own.Count >= 12, $"only {own.Count} AuthService metrics exposed: {string.Join(", ", own)}");
        var missing = own.Where(f => !used.Contains(f)).ToList();
        Assert.True(missing.Count == 0, "not on the dashboard: " + string.Join(", ", missing));
    }

    [Fact]
    [Trait("Category", "Deploy")] // needs promtool, like the rule checks
    public async Task AuthServiceMetrics_PassPromtoolsExpositionLint()
    {
        var text = await ScrapeAfterTrafficAsync();
        // Only this service's families: the runtime's and Npgsql's names are theirs (promtool dislikes a few).
        var own = string.Join('\n', text.Split('\n').Where(l => OwnFamily().IsMatch(l))) + "\n";
        Assert.Contains("auth_signin_attempts_total", own);

        var result = await MonitoringFiles.PromtoolAsync(["check", "metrics"], own);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    /// <summary>Signup, verification, signin, a wrong password and a refresh; then /metrics once the outbox was sampled.</summary>
    private async Task<string> ScrapeAfterTrafficAsync()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        await client.RefreshAsync(signedIn.RefreshToken);
        await client.SigninRawAsync(AuthClient.NewEmail(), "no such account here 99");
        using var scraper = new HttpClient();
        var text = "";
        await Wait.UntilAsync(async () => (text = await scraper.GetStringAsync(fixture.MetricsAddress)).Contains("\nauth_outbox_backlog{"),
            "the outbox backlog to be sampled");
        return text;
    }

    /// <summary>The family of a sample or selector name: a histogram's _bucket, _sum and _count are one.</summary>
    private static string Family(string name) => HistogramSuffix().Replace(name, "");

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();

    [GeneratedRegex(@"^(# (HELP|TYPE|UNIT) )?auth_")]
    private static partial Regex OwnFamily();
}
