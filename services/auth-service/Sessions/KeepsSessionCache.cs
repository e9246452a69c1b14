namespace AuthService.Sessions;

/// <summary>
/// Endpoint metadata: whatever this state-changing endpoint answers, it changes nothing the <see cref="SessionCache"/>
/// holds (it starts or rotates a session, or counts a failed attempt), or clears the cache itself where it does (a
/// refresh that detects reuse revokes a session), so <see cref="SessionCacheInvalidation"/> keeps the cache. Without
/// it, anyone could empty every replica's cache with a stream of refused signins or refreshes.
/// </summary>
internal sealed class KeepsSessionCache
{
    public static readonly KeepsSessionCache Instance = new();

    private KeepsSessionCache() { }
}
