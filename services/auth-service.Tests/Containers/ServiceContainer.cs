using System.Net;
using AuthService.Tests.Infrastructure;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;

namespace AuthService.Tests.Containers;

/// <summary>
/// One container of the image under test, run the way deploy/k8s/base/deployment.yaml runs it: read-only
/// root filesystem, a tmpfs where the manifest mounts an emptyDir, every capability dropped, no
/// privilege escalation, and the pod's grace period as <c>docker stop</c>'s timeout. Settings are the published-build tests' Production ones (dev mailbox on,
/// rate limits out of reach); the image's own ENV makes it listen on 8080.
/// </summary>
public sealed class ServiceContainer : IAsyncDisposable
{
    public const int Port = 8080;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private ServiceContainer(IContainer container, Uri baseAddress)
    {
        Container = container;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public IContainer Container { get; }

    /// <summary>The published port on loopback; also the service's <c>Auth:Issuer</c>, so the test host can follow its discovery document.</summary>
    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>From the container's start (Docker's StartedAt) to the first 200 from /readyz.</summary>
    public TimeSpan ColdStart { get; private set; }

    /// <param name="connectionString">As seen from inside the Docker network.</param>
    /// <param name="extra">Settings on top of the Production ones (environment variable names).</param>
    public static async Task<ServiceContainer> StartAsync(INetwork network, string connectionString, IReadOnlyDictionary<string, string>? extra = null)
    {
        // A fixed host port, so Auth:Issuer can name it before the container starts.
        var hostPort = FreePort.Next();
        var environment = PublishedService.ProductionEnvironment(connectionString, hostPort);
        environment.Remove("ASPNETCORE_URLS"); // the image's ASPNETCORE_HTTP_PORTS=8080 decides where it listens
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) environment[key] = value;

        var builder = new ContainerBuilder()
            .WithImage(DockerEngine.ServiceImage)
            .WithNetwork(network)
            .WithPortBinding(hostPort, Port)
            .WithEnvironment(environment)
            .WithCreateParameterModifier(p =>
            {
                // docker run --read-only --cap-drop ALL --security-opt no-new-privileges: the manifest's securityContext.
                p.HostConfig.ReadonlyRootfs = true;
                p.HostConfig.CapDrop = ["ALL"];
                p.HostConfig.SecurityOpt = ["no-new-privileges"];
                p.StopTimeout = DeploymentManifest.TerminationGracePeriod; // docker's default is 10 s
                foreach (var binding in p.HostConfig.PortBindings.Values.SelectMany(b => b)) binding.HostIP = "127.0.0.1"; // not on every interface
            });
        foreach (var path in DeploymentManifest.WritableMounts) builder = builder.WithTmpfsMount(path);

        var service = new ServiceContainer(builder.Build(), new Uri($"http://127.0.0.1:{hostPort}"));
        try
        {
            await service.Container.StartAsync();
            var startedAt = DockerApi.ParseTime((await DockerApi.InspectAsync(service.Container.Id)).State.StartedAt);
            await service.WaitUntilReadyAsync();
            service.ColdStart = DateTimeOffset.UtcNow - startedAt;
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls /readyz until it answers 200 (after a database restart, too); fails with the container's log.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? ReadyTimeout;
        var deadline = DateTime.UtcNow + limit;
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                if ((await probe.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A slow answer while starting.
            }
            var state = (await DockerApi.InspectAsync(Container.Id)).State;
            if (!state.Running)
                throw new InvalidOperationException($"The container exited with {state.ExitCode} before it was ready:\n{await LogsAsync()}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"/readyz did not answer 200 within {limit}:\n{await LogsAsync()}");
            await Task.Delay(25);
        }
    }

    /// <summary>stdout and stderr of the container so far.</summary>
    public async Task<string> LogsAsync()
    {
        var (stdout, stderr) = await Container.GetLogsAsync(timestampsEnabled: false);
        return stdout + stderr;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Container.DisposeAsync();
    }
}
