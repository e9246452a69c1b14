namespace AuthService.Sessions;

/// <summary>
/// Endpoint metadata: a successful (2xx) answer of this state-changing endpoint changed nothing the
/// <see cref="SessionCache"/> holds (it started or rotated a session), so <see cref="SessionCacheInvalidation"/>
/// keeps the cache. Any other answer still empties it (a refresh that detects reuse revokes a session).
/// </summary>
internal sealed class KeepsSessionCacheOnSuccess
{
    public static readonly KeepsSessionCacheOnSuccess Instance = new();

    private KeepsSessionCacheOnSuccess() { }
}
