namespace AuthService.Tests.Infrastructure;

/// <summary>A clock tests can move; timers still run on real time.</summary>
public sealed class TestClock : TimeProvider
{
    private long ticks = DateTimeOffset.UtcNow.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);

    public void Set(DateTimeOffset to) => Interlocked.Exchange(ref ticks, to.UtcTicks);
}
