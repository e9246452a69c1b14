using AuthService.Shared;

namespace AuthService.Sessions;

/// <summary>A session that was live when read, with its user: what a bearer check needs, and until when it may be trusted.</summary>
internal sealed record LiveSession(UserResponse User, DateTimeOffset ExpiresAt, DateTimeOffset IdleExpiresAt)
{
    /// <summary>Both lifetimes still run at <paramref name="now"/>: the same test the database query makes.</summary>
    public bool IsLiveAt(DateTimeOffset now) => ExpiresAt > now && IdleExpiresAt > now;
}
