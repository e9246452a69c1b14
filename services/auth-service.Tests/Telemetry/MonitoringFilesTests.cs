using System.Text.Json;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// The alert rules pass promtool (Debian's prometheus package; scripts/install-deps.sh test) and their
/// unit tests, and the dashboard is one Grafana can import against any Prometheus data source.
/// </summary>
[Trait("Category", "Deploy")]
public sealed class MonitoringFilesTests
{
    [Fact]
    public async Task AlertRules_PassPromtoolCheck()
    {
        var result = await MonitoringFiles.PromtoolAsync(["check", "rules", MonitoringFiles.Rules]);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS: 5 rules found", result.Output);
    }

    [Fact]
    public async Task AlertRules_PassTheirUnitTests()
    {
        var result = await MonitoringFiles.PromtoolAsync(["test", "rules", MonitoringFiles.RuleTests]);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output);
    }

    [Fact]
    public void AlertRules_CoverReuseLockoutsOutboxAnd5xx()
    {
        var rules = File.ReadAllText(MonitoringFiles.Rules);
        foreach (var alert in new[] { "AuthRefreshTokenReuseSpike", "AuthLockoutSpike", "AuthOutboxBacklogStale", "AuthHigh5xxRate" })
            Assert.Contains($"- alert: {alert}\n", rules);
    }

    [Fact]
    public void Dashboard_IsImportable_WithADataSourceVariable_AndAnExpressionPerPanel()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(MonitoringFiles.Dashboard));
        var dashboard = document.RootElement;
        Assert.Equal("auth-service", dashboard.GetProperty("uid").GetString());
        var variable = Assert.Single(dashboard.GetProperty("templating").GetProperty("list").EnumerateArray());
        Assert.Equal("datasource", variable.GetProperty("type").GetString());
        Assert.Equal("prometheus", variable.GetProperty("query").GetString());

        var panels = dashboard.GetProperty("panels").EnumerateArray().ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var panel in panels.Where(p => p.GetProperty("type").GetString() != "row"))
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel {title} has no query");
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"panel {title} has an empty query"));
        }
    }
}
