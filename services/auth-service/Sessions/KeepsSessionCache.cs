namespace AuthService.Sessions;

/// <summary>
/// Endpoint metadata: whatever this state-changing endpoint answers, it changes nothing the <see cref="SessionCache"/>
/// holds (it starts or rotates a session, counts a failed attempt, or records a signup or queues a mail for an address:
/// signup, resend-verification, forgot-password), or clears the cache itself where it does (a refresh that detects
/// reuse revokes a session), so <see cref="SessionCacheInvalidation"/> keeps the cache. Without it, anyone could empty
/// every replica's cache with a stream of refused signins or refreshes, or of signups.
/// </summary>
internal sealed class KeepsSessionCache
{
    public static readonly KeepsSessionCache Instance = new();

    private KeepsSessionCache() { }
}
