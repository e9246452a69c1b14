using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Telemetry;

/// <summary>deploy/monitoring: the Grafana dashboard and the Prometheus rules, and the PromQL expressions in them.</summary>
public static class MonitoringFiles
{
    public static readonly string Directory = Path.Combine(RepositoryRoot.Path, "deploy/monitoring");
    public static readonly string Rules = Path.Combine(Directory, "auth-service.rules.yml");
    public static readonly string RuleTests = Path.Combine(Directory, "auth-service.rules.test.yml");
    public static readonly string Dashboard = Path.Combine(Directory, "grafana-dashboard.json");

    /// <summary>Every target expression of the dashboard's panels.</summary>
    public static IReadOnlyList<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
    }

    /// <summary>
    /// Every rule's <c>expr</c>, written either on its line or as a block (<c>expr: |</c>) indented below it.
    /// A line reader, not YAML: promtool validates the file as YAML (MonitoringFilesTests).
    /// </summary>
    public static IReadOnlyList<string> RuleExpressions()
    {
        var lines = File.ReadAllLines(Rules);
        var expressions = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (!trimmed.StartsWith("expr:", StringComparison.Ordinal)) continue;
            var value = trimmed["expr:".Length..].Trim();
            if (value is not ("|" or ">" or "|-" or ">-"))
            {
                expressions.Add(value);
                continue;
            }
            var indent = lines[i].Length - trimmed.Length;
            var block = new List<string>();
            for (; i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || lines[i + 1].Length - lines[i + 1].TrimStart().Length > indent); i++)
                block.Add(lines[i + 1].Trim());
            expressions.Add(string.Join(' ', block));
        }
        return expressions;
    }

    /// <summary>Runs promtool (Debian's prometheus package) in deploy/monitoring, optionally feeding <paramref name="input"/> on stdin.</summary>
    public static async Task<ChildProcess.Result> PromtoolAsync(string[] args, string? input = null)
    {
        try
        {
            if (input is null) return await ChildProcess.ExecuteAsync("promtool", args, Directory, TimeSpan.FromMinutes(1));
            var file = Path.GetTempFileName();
            try
            {
                await File.WriteAllTextAsync(file, input);
                return await ChildProcess.ExecuteAsync("bash", ["-c", $"promtool {string.Join(' ', args)} < \"$0\"", file], Directory, TimeSpan.FromMinutes(1));
            }
            finally
            {
                File.Delete(file);
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("promtool is not installed: scripts/install-deps.sh test installs Debian's prometheus package.", e);
        }
    }
}
