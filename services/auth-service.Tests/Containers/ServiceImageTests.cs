using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Passwords;
using Xunit.Abstractions;

namespace AuthService.Tests.Containers;

/// <summary>
/// The image as it ships, run: who it runs as, that it serves from a read-only root, that Docker's
/// HEALTHCHECK passes, that <c>docker stop</c> drains requests in flight, and that it carries what
/// NFKC of passwords (ICU) and Argon2id (libsodium) need. Its size and cold start go to the test output.
/// </summary>
[Trait("Category", DockerEngine.Category)]
public sealed partial class ServiceImageTests(ContainerStackFixture fixture, ITestOutputHelper output) : IClassFixture<ContainerStackFixture>
{
    private ServiceContainer Service => fixture.Service;

    [ContainerFact]
    public async Task Image_RunsAsNonRootUser()
    {
        var user = (await DockerApi.InspectImageAsync(DockerEngine.ServiceImage)).Config.User;
        output.WriteLine($"image USER: '{user}'");
        Assert.False(string.IsNullOrEmpty(user), "the image sets no USER: it runs as root");
        Assert.DoesNotContain(user.Split(':')[0], new[] { "root", "0" });

        var id = await Service.Container.ExecAsync(["id", "-u"]);
        Assert.Equal(0, id.ExitCode);
        Assert.NotEqual("0", id.Stdout.Trim());
        // The service itself (PID 1, the entrypoint), not only what `docker exec` runs as: real, effective, saved and fs UIDs.
        var status = await Service.Container.ExecAsync(["cat", "/proc/1/status"]);
        var uids = UidLine().Match(status.Stdout).Groups[1].Value.Split('\t', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, uids.Length);
        Assert.DoesNotContain("0", uids);
        output.WriteLine($"id -u: {id.Stdout.Trim()}; PID 1 Uid: {string.Join(' ', uids)}");
    }

    [ContainerFact]
    public async Task ReadOnlyRoot_WithTmpfsWhereTheManifestMountsOne_ServesReadyz()
    {
        // What deploy/k8s asks, and what ServiceContainer therefore runs.
        Assert.True(DeploymentManifest.ReadOnlyRootFilesystem, "deployment.yaml no longer asks for readOnlyRootFilesystem: true");
        Assert.NotEmpty(DeploymentManifest.WritableMounts);
        var container = await DockerApi.InspectAsync(Service.Container.Id);
        Assert.True(container.HostConfig.ReadonlyRootfs);
        Assert.Equal(DeploymentManifest.WritableMounts.Order(), container.Mounts.Where(m => m.Type == "tmpfs").Select(m => m.Destination).Order());

        // Really read-only outside the mounts (the app directory and the user's home), writable inside them.
        foreach (var path in new[] { "/app/probe", "/home/app/probe", "/probe" })
        {
            var touch = await Service.Container.ExecAsync(["touch", path]);
            Assert.NotEqual(0, touch.ExitCode);
            Assert.Contains("Read-only file system", touch.Stderr);
        }
        foreach (var mount in DeploymentManifest.WritableMounts)
            Assert.Equal(0, (await Service.Container.ExecAsync(["touch", $"{mount}/probe"])).ExitCode);

        var ready = await Service.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [ContainerFact]
    public async Task DockerHealthCheck_ReachesHealthy()
    {
        var check = (await DockerApi.InspectImageAsync(DockerEngine.ServiceImage)).Config.Healthcheck;
        Assert.NotNull(check);
        output.WriteLine($"HEALTHCHECK {string.Join(' ', check.Test)} every {check.Interval.TotalSeconds} s");

        // Docker runs the first check one interval after the start; "unhealthy" ends the wait at once.
        var health = await Wait.ForAsync(async () =>
        {
            var state = (await DockerApi.InspectAsync(Service.Container.Id)).State;
            Assert.True(state.Health.Status != "unhealthy", "unhealthy: " + string.Join(" | ", state.Health.Log.Select(l => $"{l.ExitCode}: {l.Output.Trim()}")));
            return state.Health.Status == "healthy" ? state.Health : null;
        }, "Docker's health status 'healthy'", check.Interval * 4 + TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250));
        Assert.Equal(0, health.Log.Last().ExitCode);
    }

    [ContainerFact]
    public async Task DockerStop_WhileSigninsAreHashing_AnswersEveryOne_RefusesNewConnections_AndExitsZero()
    {
        const int signins = 4;
        var database = await fixture.CreateDatabaseAsync("drain");
        await using var service = await ServiceContainer.StartAsync(fixture.Network, ContainerStackFixture.ConnectionStringInNetwork(database), new Dictionary<string, string>
        {
            // Argon2id at t=100 instead of 2, all four at once: two to three seconds of hashing on an idle machine
            // (more on a busy one, within the grace period) to stop the container under. At t=40 a loaded machine's
            // slow reads of the container's log (below) once outlasted the hashing.
            ["Auth__Password__HashIterations"] = "100",
            ["Auth__Password__MaxConcurrentHashes"] = signins.ToString(CultureInfo.InvariantCulture),
            // Kestrel's "Request starting" lines tell when every signin has reached the service.
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        });
        output.WriteLine($"cold start of a second container (empty database): {service.ColdStart.TotalMilliseconds:F0} ms");
        var email = await AuthClient.CreateVerifiedUserAsync(service.Http);

        // One connection per signin (HTTP/1.1), none of them shared with the probes below.
        using var callers = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var inFlight = Enumerable.Range(0, signins)
            .Select(_ => callers.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword })).ToArray();
        await Wait.UntilAsync(async () => SigninStarts().Count(await service.LogsAsync()) == signins,
            $"{signins} signins started in the service", poll: TimeSpan.FromMilliseconds(50));
        Assert.False(inFlight.Any(t => t.IsCompleted), "a signin finished before the stop: make the hash slower, the test proved nothing");

        var watch = Stopwatch.StartNew();
        var stopping = service.Container.StopAsync(); // docker stop: SIGTERM, then SIGKILL after the grace period
        var refusedAt = await UntilNewConnectionsFailAsync(service.BaseAddress, watch);
        var pendingAtRefusal = inFlight.Count(t => !t.IsCompleted);
        // Refused by the service itself, not only by Docker's port forwarding: nothing listens on 8080 any more.
        var inside = await service.Container.ExecAsync(["curl", "-sS", "-o", "/dev/null", $"http://localhost:{ServiceContainer.Port}/healthz"]);
        var pendingAfterCurl = inFlight.Count(t => !t.IsCompleted);

        var responses = await Task.WhenAll(inFlight);
        var answeredAt = watch.Elapsed;
        await stopping;
        var stoppedAt = watch.Elapsed;
        var inspected = await DockerApi.InspectAsync(service.Container.Id);
        var state = inspected.State;
        output.WriteLine($"docker stop (timeout {inspected.Config.StopTimeout?.TotalSeconds} s): SIGTERM sent at 0 ms; new connections failed from {refusedAt.TotalMilliseconds:F0} ms with {pendingAtRefusal}/{signins} signins still hashing; "
            + $"in-container curl: exit {inside.ExitCode} ({inside.Stderr.Trim()}), {pendingAfterCurl} still hashing; "
            + $"all answered at {answeredAt.TotalMilliseconds:F0} ms; container exited {state.ExitCode} at {stoppedAt.TotalMilliseconds:F0} ms");

        Assert.True(pendingAfterCurl > 0, "every signin was answered before the listener closed: make the hash slower, the test proved nothing");
        Assert.Equal(7, inside.ExitCode); // curl: "Failed to connect" (connection refused)
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var signedIn = await AuthClient.ReadSignedInAsync(response); // the whole body, parsed
            Assert.False(string.IsNullOrEmpty(signedIn.AccessToken));
            Assert.False(string.IsNullOrEmpty(signedIn.RefreshToken));
        }
        Assert.False(state.Running);
        Assert.False(state.OOMKilled);
        Assert.Equal(0, state.ExitCode); // 137 would be the SIGKILL at the end of the grace period
        Assert.True(stoppedAt < DeploymentManifest.TerminationGracePeriod, $"stopping took {stoppedAt.TotalSeconds:F1} s");
    }

    [ContainerFact]
    public async Task Signin_WithDecomposedFormOfPrecomposedPassword_Succeeds()
    {
        Assert.NotEqual(PublishedBuildNfkcTests.Precomposed, PublishedBuildNfkcTests.Decomposed); // different UTF-16, the same text after NFKC
        var email = await AuthClient.CreateVerifiedUserAsync(Service.Http, password: PublishedBuildNfkcTests.Precomposed);

        var decomposed = await Service.Http.PostAsJsonAsync("/auth/signin", new { email, password = PublishedBuildNfkcTests.Decomposed });
        var otherAccent = await Service.Http.PostAsJsonAsync("/auth/signin", new { email, password = PublishedBuildNfkcTests.Precomposed.Replace('\u00e8', '\u00ea') });

        Assert.Equal(HttpStatusCode.OK, decomposed.StatusCode);
        await ProblemAssert.IsProblemAsync(otherAccent, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [ContainerFact]
    public async Task Signup_WithFullwidthCommonPassword_IsRefusedTooCommon()
    {
        var ascii = await Service.Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail(), password = PublishedBuildNfkcTests.CommonAscii });
        var wide = await Service.Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail(), password = PublishedBuildNfkcTests.CommonFullwidth });

        var asciiProblem = await ProblemAssert.IsProblemAsync(ascii, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["too_common"], ProblemAssert.FieldErrors(asciiProblem, "password"));
        var wideProblem = await ProblemAssert.IsProblemAsync(wide, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["too_common"], ProblemAssert.FieldErrors(wideProblem, "password"));
    }

    [ContainerFact]
    public async Task Service_HasLoadedIcuAndLibsodium()
    {
        // A signup hashes with Argon2id, so libsodium is loaded by the time it is answered.
        Assert.Equal(HttpStatusCode.Accepted, (await Service.Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail(), password = AuthClient.DefaultPassword })).StatusCode);
        var maps = (await Service.Container.ExecAsync(["cat", "/proc/1/maps"])).Stdout;
        Assert.Contains("libicuuc.so", maps); // mapped only outside globalization-invariant mode
        Assert.Contains("libicui18n.so", maps);
        Assert.Contains("libsodium.so", maps);
    }

    [ContainerFact]
    public async Task ImageSize_AndColdStart_AreReported()
    {
        var image = await DockerApi.InspectImageAsync(DockerEngine.ServiceImage);
        string[] report =
        [
            $"{DockerEngine.ServiceImage} ({image.ID[..19]}): {image.Size / 1_000_000.0:F0} MB ({image.Size} bytes, docker image inspect .Size)",
            $"cold start, container start (StartedAt) to the first 200 from /readyz, empty database (migrations, first signing key): {Service.ColdStart.TotalMilliseconds:F0} ms",
        ];
        foreach (var line in report)
        {
            output.WriteLine(line);
        }

        // scripts/test.sh prints this file after the run: passing tests' output is not in a normal-verbosity log.
        var artifacts = Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "artifacts"));
        await File.WriteAllLinesAsync(Path.Combine(artifacts.FullName, "container-report.txt"), report);
        Assert.True(image.Size > 0);
    }

    /// <summary>Opens a new connection every few milliseconds until one gets no HTTP answer; returns when.</summary>
    private static async Task<TimeSpan> UntilNewConnectionsFailAsync(Uri baseAddress, Stopwatch watch)
    {
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var fresh = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                await fresh.GetAsync("/healthz");
            }
            catch (HttpRequestException)
            {
                return watch.Elapsed;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException("New connections were still answered 10 s after docker stop.");
    }

    [GeneratedRegex(@"^Uid:\s+(.*)$", RegexOptions.Multiline)]
    private static partial Regex UidLine();

    [GeneratedRegex(@"Request starting HTTP/1\.1 POST \S+/auth/signin\b")]
    private static partial Regex SigninStarts();
}
