using System.Diagnostics;
using System.Threading.Channels;
using AuthService.Telemetry;

namespace AuthService.Http;

/// <summary>
/// Work done after the answer is sent, so that answers which must not reveal whether an account
/// exists (resend verification, forgot password) take the same time either way. Bounded: when
/// full, new work is dropped with a warning rather than growing without limit under a flood.
/// </summary>
public sealed class BackgroundWorkQueue(ILogger<BackgroundWorkQueue> logger) : BackgroundService
{
    private readonly Channel<(string Name, Func<CancellationToken, Task> Work, ActivityContext Parent)> channel =
        Channel.CreateBounded<(string, Func<CancellationToken, Task>, ActivityContext)>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Enqueue(string name, Func<CancellationToken, Task> work)
    {
        // The request's span context travels with the work, so its trace shows what ran after the answer.
        if (!channel.Writer.TryWrite((name, work, Activity.Current?.Context ?? default))) logger.LogWarning("Background queue full: {Work} dropped", name);
    }

    /// <summary>Stops taking work and lets what is queued finish (bounded by the host's shutdown timeout).</summary>
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Read until the writer completes, not until stoppingToken: queued work is drained on shutdown.
        await foreach (var (name, work, parent) in channel.Reader.ReadAllAsync(CancellationToken.None))
        {
            using var span = AuthTracing.Source.StartActivity(name, ActivityKind.Internal, parent);
            try
            {
                await work(CancellationToken.None);
            }
            catch (Exception e)
            {
                span.Failed(e);
                logger.LogError(e, "Background work {Work} failed", name);
            }
        }
    }
}
