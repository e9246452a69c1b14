using System.Diagnostics;
using AuthService.Data;

namespace AuthService.Tests.Data;

/// <summary>
/// How long a request waits for a service that is still starting. The bounds compare a 10 s cold-start wait with a
/// 250 ms one: the asserted margins are seconds wide, so a loaded machine does not decide them.
/// </summary>
public sealed class StartupGateTests
{
    private static readonly TimeSpan ColdStart = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OnceUnreachable = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task AWaitingRequest_StopsWaiting_WhenStartupFindsTheDatabaseUnreachableMeanwhile()
    {
        var gate = new StartupGate();
        var watch = Stopwatch.StartNew();
        var waiting = gate.WaitAsync(ColdStart, OnceUnreachable, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        gate.MarkDatabaseUnreachable();

        Assert.False(await waiting);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"waited {watch.Elapsed.TotalSeconds:F1} s after the database was found unreachable");
    }

    [Fact]
    public async Task AWaitingRequest_GoesOn_WhenTheGateOpens_EvenAfterTheDatabaseWasUnreachable()
    {
        var gate = new StartupGate();
        var waiting = gate.WaitAsync(ColdStart, TimeSpan.FromSeconds(30), CancellationToken.None);
        gate.MarkDatabaseUnreachable();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        gate.Open();

        Assert.True(await waiting);
    }

    [Fact]
    public async Task ARequestAfterTheDatabaseWasFoundUnreachable_WaitsOnlyTheShortBound()
    {
        var gate = new StartupGate();
        gate.MarkDatabaseUnreachable();
        var watch = Stopwatch.StartNew();

        Assert.False(await gate.WaitAsync(ColdStart, OnceUnreachable, CancellationToken.None));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"waited {watch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task AnOpenGate_LetsEveryRequestThrough()
    {
        var gate = new StartupGate();
        gate.Open();
        Assert.True(await gate.WaitAsync(ColdStart, OnceUnreachable, CancellationToken.None));
    }
}
