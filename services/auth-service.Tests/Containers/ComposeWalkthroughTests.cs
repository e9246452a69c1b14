using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AuthService.Tests.Containers;

/// <summary>
/// <c>docker-compose.yml</c> brought up as a user does (the service image built by Compose from the
/// Dockerfile), with deploy/compose/ci.override.yml on top only to replace the Mailpit image, which cannot
/// be pulled here, by an SMTP catcher; then the README's curl walkthrough, taken from the README and run
/// by bash as it stands. Compose v2 (<c>docker compose</c>) is used when present, else Debian's docker-compose.
/// </summary>
[Trait("Category", DockerEngine.Category)]
public sealed partial class ComposeWalkthroughTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Project = "authservice-compose-test";
    private static readonly string Root = RepositoryRoot.Path;
    private static readonly Uri Api = new("http://localhost:8080");

    private string[] compose = [];

    public async Task InitializeAsync()
    {
        compose = (await ChildProcess.ExecuteAsync("docker", ["compose", "version"])).ExitCode == 0 ? ["docker", "compose"] : ["docker-compose"];
        // The compose file publishes 8080 on the host, as the README's walkthrough expects.
        Assert.True(PortIsFree(8080), "Port 8080 is in use on this machine; docker-compose.yml publishes the service there.");
        var up = await ComposeAsync("up", "-d", "--build");
        up.EnsureSuccess("compose up");
    }

    public async Task DisposeAsync()
    {
        if (compose.Length > 0) await ComposeAsync("down", "-v", "--remove-orphans");
    }

    [ContainerFact]
    public async Task ReadmeWalkthrough_RunsAsWritten_AgainstComposeUp()
    {
        using var http = new HttpClient { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(5) };
        await Wait.UntilAsync(async () => await IsReadyAsync(http), "the composed service answers /readyz", TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250));

        var dir = Directory.CreateTempSubdirectory("auth-walkthrough-");
        try
        {
            var script = Path.Combine(dir.FullName, "walkthrough.sh");
            await File.WriteAllTextAsync(script, ReadmeWalkthrough());
            // Twice in a row: the walkthrough must not depend on a fresh database.
            for (var run = 1; run <= 2; run++)
            {
                // TMPDIR puts the walkthrough's cookie jar (mktemp) where the test can see that it is removed.
                var result = await ChildProcess.ExecuteAsync("env", [$"TMPDIR={dir.FullName}", "timeout", "120", "bash", "-e", script], dir.FullName);
                output.WriteLine($"run {run}:\n{result.Output}");
                result.EnsureSuccess($"the README walkthrough (run {run})");

                // Each step shows its status: signup 202, verify 200, signin 200, me 200, refresh 200, logout 204.
                var codes = StatusLine().Matches(result.StandardOutput).Select(m => m.Groups[1].Value).ToArray();
                Assert.Equal(["202", "200", "200", "200", "200", "204"], codes);
                Assert.Contains("\"emailVerified\":true", result.StandardOutput, StringComparison.Ordinal);
                Assert.DoesNotContain("\"status\":", result.StandardOutput, StringComparison.Ordinal); // no problem document anywhere
                Assert.Equal([script], Directory.GetFiles(dir.FullName)); // the cookie jar is gone
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        // The verification mail went out over SMTP to the catcher in the Mailpit service's place.
        var catcherLog = await ComposeAsync("logs", "--no-color", "mailpit");
        Assert.Matches(@"ada\.\d+@example\.com", catcherLog.Output);
        Assert.Contains("verify-email?token=", catcherLog.Output, StringComparison.Ordinal);
    }

    /// <summary>The first <c>sh</c> block under the README's "Walkthrough with curl" heading.</summary>
    private static string ReadmeWalkthrough()
    {
        var lines = File.ReadAllLines(Path.Combine(Root, "README.md"));
        var block = lines.SkipWhile(l => l != "## Walkthrough with curl")
            .SkipWhile(l => l != "```sh").Skip(1)
            .TakeWhile(l => l != "```").ToArray();
        Assert.NotEmpty(block);
        return string.Join('\n', block) + "\n";
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private Task<ChildProcess.Result> ComposeAsync(params string[] args) => ChildProcess.ExecuteAsync(
        compose[0],
        [.. compose[1..], "-p", Project, "-f", "docker-compose.yml", "-f", "deploy/compose/ci.override.yml", .. args],
        Root,
        TimeSpan.FromMinutes(5));

    [GeneratedRegex(@"→ HTTP (\d{3})")]
    private static partial Regex StatusLine();

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
