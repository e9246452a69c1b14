using System.Collections.Concurrent;
using AuthService.Options;
using AuthService.Telemetry;
using Microsoft.Extensions.Options;

namespace AuthService.Sessions;

/// <summary>
/// This replica's copy of what bearer checks read (<see cref="LiveSession"/> by session id), so a check of a
/// cached session costs no database round trip. Kept correct by invalidation, never by time: the
/// <see cref="SessionChangeListener"/> drops the users a NOTIFY names (changes from any replica or from SQL),
/// and <see cref="SessionCacheInvalidation"/> empties it after every state-changing request on this replica.
/// Used only while the listener is connected; otherwise every check reads the database.
/// </summary>
internal sealed class SessionCache(IOptions<AuthOptions> options, AuthMetrics metrics)
{
    private readonly int capacity = options.Value.SessionCacheSize;
    private readonly ConcurrentDictionary<Guid, LiveSession> entries = new();
    private readonly Lock gate = new();

    // Moves on every invalidation, clear, connect and disconnect. A reader notes it before its database
    // read and may store what it read only if it has not moved meanwhile (checked and stored under gate,
    // which every invalidation also holds): otherwise a read made before a change committed could land in
    // the cache after the change's invalidation had passed, and stay there.
    private long generation;
    private bool listening;

    /// <summary>True while the listener is connected and the cache is in use.</summary>
    public bool IsListening => Volatile.Read(ref listening);

    public int Count => entries.Count;

    /// <summary>Whether the session is cached now (for the health of the cache in tests; checks use <see cref="TryGet"/>).</summary>
    public bool Holds(Guid sessionId) => entries.ContainsKey(sessionId);

    /// <summary>The cached live session <paramref name="sessionId"/> of <paramref name="userId"/> at <paramref name="now"/>.</summary>
    public SessionCacheLookup TryGet(Guid sessionId, Guid userId, DateTimeOffset now, out LiveSession? session)
    {
        session = null;
        if (capacity == 0 || !IsListening)
        {
            metrics.SessionCacheLookedUp(SessionCacheLookup.Bypass);
            return SessionCacheLookup.Bypass;
        }
        // Past its cached expiry it is read again, not refused: a refresh extends idle_expires_at without a notification.
        if (entries.TryGetValue(sessionId, out var cached) && cached.User.Id == userId && cached.IsLiveAt(now))
        {
            session = cached;
            metrics.SessionCacheLookedUp(SessionCacheLookup.Hit);
            return SessionCacheLookup.Hit;
        }
        metrics.SessionCacheLookedUp(SessionCacheLookup.Miss);
        return SessionCacheLookup.Miss;
    }

    /// <summary>Taken before a database read that may be cached; null when nothing read now may be cached.</summary>
    public long? BeginFill() => capacity > 0 && IsListening ? Interlocked.Read(ref generation) : null;

    /// <summary>
    /// Caches what the read begun at <paramref name="ticket"/> found: a live session is stored unless an invalidation came
    /// in between; a session found dead is dropped.
    /// </summary>
    public void Fill(long ticket, Guid sessionId, LiveSession? found)
    {
        lock (gate)
        {
            if (generation != ticket || !listening) return;
            if (found is null)
            {
                entries.TryRemove(sessionId, out _);
                return;
            }
            // At the bound everything goes and the cache refills from the calls that follow: O(1) per fill, no LRU
            // bookkeeping on the hot path. A replica serving more live sessions than the bound should raise it.
            if (entries.Count >= capacity && !entries.ContainsKey(sessionId)) entries.Clear();
            entries[sessionId] = found;
        }
    }

    /// <summary>Drops every session of these users (a NOTIFY's payload).</summary>
    public void InvalidateUsers(IReadOnlySet<Guid> userIds)
    {
        lock (gate)
        {
            generation++;
            if (userIds.Count == 0) return;
            // A scan: notifications are rare next to bearer calls, and the bound keeps it short.
            foreach (var (sessionId, session) in entries)
                if (userIds.Contains(session.User.Id)) entries.TryRemove(sessionId, out _);
        }
        metrics.SessionCacheInvalidated("users");
    }

    /// <summary>Drops everything: a state-changing request on this replica, or a NOTIFY too large to name its users.</summary>
    public void Clear()
    {
        lock (gate)
        {
            generation++;
            if (!entries.IsEmpty) entries.Clear();
        }
        metrics.SessionCacheInvalidated("all");
    }

    /// <summary>The listener is (again) connected: what was cached may have missed notifications sent meanwhile.</summary>
    public void Connected() => SetListening(true);

    /// <summary>The listener lost its connection (or stops): every check reads the database until it is back.</summary>
    public void Disconnected() => SetListening(false);

    private void SetListening(bool value)
    {
        lock (gate)
        {
            generation++;
            entries.Clear();
            Volatile.Write(ref listening, value);
        }
    }
}
