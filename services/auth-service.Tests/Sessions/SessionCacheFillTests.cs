using System.Diagnostics.Metrics;
using AuthService.Options;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Sessions;

/// <summary>The session cache's rules on their own: the stale-fill race, the bound, the listener's state and payloads.</summary>
public sealed class SessionCacheFillTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static SessionCache NewCache(int size = 100)
    {
        var metrics = new AuthMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        var cache = new SessionCache(Microsoft.Extensions.Options.Options.Create(new AuthOptions { SessionCacheSize = size }), metrics);
        cache.Connected();
        return cache;
    }

    private static LiveSession Live(Guid userId, string? name = null) =>
        new(new UserResponse(userId, "a@example.com", true, name, Now.AddDays(-1), [], new MfaStatus(false, 0)), Now.AddDays(1), Now.AddHours(1));

    [Fact]
    public void ReadBeforeAnInvalidation_IsNotCached_AfterIt()
    {
        var cache = NewCache();
        var (sid, uid) = (Guid.NewGuid(), Guid.NewGuid());
        var ticket = cache.BeginFill()!.Value; // a reader starts its database read …
        cache.InvalidateUsers(new HashSet<Guid> { Guid.NewGuid() }); // … a change commits and its notification passes …
        cache.Fill(ticket, sid, Live(uid, "stale")); // … and the reader comes back with what it read before

        Assert.Equal(SessionCacheLookup.Miss, cache.TryGet(sid, uid, Now, out _));

        var fresh = cache.BeginFill()!.Value;
        cache.Fill(fresh, sid, Live(uid, "fresh"));
        Assert.Equal(SessionCacheLookup.Hit, cache.TryGet(sid, uid, Now, out var hit));
        Assert.Equal("fresh", hit!.User.DisplayName);
    }

    [Fact]
    public void ReadBeforeAClearOrReconnect_IsNotCached()
    {
        var cache = NewCache();
        var (sid, uid) = (Guid.NewGuid(), Guid.NewGuid());
        var ticket = cache.BeginFill()!.Value;
        cache.Clear();
        cache.Fill(ticket, sid, Live(uid));
        Assert.False(cache.Holds(sid));

        ticket = cache.BeginFill()!.Value;
        cache.Disconnected();
        cache.Connected();
        cache.Fill(ticket, sid, Live(uid));
        Assert.False(cache.Holds(sid));
    }

    [Fact]
    public void PastItsCachedExpiry_ASessionIsReadAgain_NotRefused()
    {
        var cache = NewCache();
        var (sid, uid) = (Guid.NewGuid(), Guid.NewGuid());
        cache.Fill(cache.BeginFill()!.Value, sid, Live(uid));

        Assert.Equal(SessionCacheLookup.Hit, cache.TryGet(sid, uid, Now.AddMinutes(59), out _));
        Assert.Equal(SessionCacheLookup.Miss, cache.TryGet(sid, uid, Now.AddHours(1), out var none));
        Assert.Null(none);
        Assert.Equal(SessionCacheLookup.Miss, cache.TryGet(sid, Guid.NewGuid(), Now, out _)); // another user's token naming this sid
    }

    [Fact]
    public void NotListening_NothingIsReadOrStored()
    {
        var cache = NewCache();
        var (sid, uid) = (Guid.NewGuid(), Guid.NewGuid());
        cache.Fill(cache.BeginFill()!.Value, sid, Live(uid));
        cache.Disconnected();

        Assert.Equal(SessionCacheLookup.Bypass, cache.TryGet(sid, uid, Now, out _));
        Assert.Null(cache.BeginFill());
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void SizeZero_TurnsTheCacheOff()
    {
        var cache = NewCache(size: 0);
        Assert.Equal(SessionCacheLookup.Bypass, cache.TryGet(Guid.NewGuid(), Guid.NewGuid(), Now, out _));
        Assert.Null(cache.BeginFill());
    }

    [Fact]
    public void AtTheBound_TheCacheEmptiesAndRefills()
    {
        var cache = NewCache(size: 3);
        var sessions = Enumerable.Range(0, 4).Select(_ => (Sid: Guid.NewGuid(), Uid: Guid.NewGuid())).ToList();
        foreach (var (sid, uid) in sessions) cache.Fill(cache.BeginFill()!.Value, sid, Live(uid));

        Assert.Equal(1, cache.Count);
        Assert.True(cache.Holds(sessions[3].Sid));
    }

    [Fact]
    public void InvalidatingUsers_DropsAllTheirSessions_AndOnlyTheirs()
    {
        var cache = NewCache();
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        var (a1, a2, b1) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        cache.Fill(cache.BeginFill()!.Value, a1, Live(alice));
        cache.Fill(cache.BeginFill()!.Value, a2, Live(alice));
        cache.Fill(cache.BeginFill()!.Value, b1, Live(bob));

        cache.InvalidateUsers(new HashSet<Guid> { alice });

        Assert.False(cache.Holds(a1));
        Assert.False(cache.Holds(a2));
        Assert.True(cache.Holds(b1));
    }

    [Fact]
    public void ADeadSessionRead_DropsItsEntry()
    {
        var cache = NewCache();
        var (sid, uid) = (Guid.NewGuid(), Guid.NewGuid());
        cache.Fill(cache.BeginFill()!.Value, sid, Live(uid));
        cache.Fill(cache.BeginFill()!.Value, sid, null);
        Assert.False(cache.Holds(sid));
    }
}
