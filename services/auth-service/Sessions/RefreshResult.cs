using AuthService.Shared;

namespace AuthService.Sessions;

/// <summary>What a refresh came to: one record per outcome, so each carries exactly the data it has.</summary>
public abstract record RefreshResult
{
    private RefreshResult() { }

    /// <summary>A refresh that is answered with tokens: the session's successor refresh token, its user, and how its signin was made.</summary>
    public abstract record Renewed(string RefreshToken, Guid SessionId, DateTimeOffset SessionExpiresAt, UserResponse User, IReadOnlyList<string> Amr)
        : RefreshResult;

    /// <summary>The presented token was the newest: it is retired and <see cref="Renewed.RefreshToken"/> is the new newest.</summary>
    public sealed record Rotated(string RefreshToken, Guid SessionId, DateTimeOffset SessionExpiresAt, UserResponse User, IReadOnlyList<string> Amr)
        : Renewed(RefreshToken, SessionId, SessionExpiresAt, User, Amr);

    /// <summary>A retry within the grace window: answered with the same successor the first request got.</summary>
    public sealed record Grace(string RefreshToken, Guid SessionId, DateTimeOffset SessionExpiresAt, UserResponse User, IReadOnlyList<string> Amr)
        : Renewed(RefreshToken, SessionId, SessionExpiresAt, User, Amr);

    /// <summary>An older token came back: the session is revoked, audited and its owner mailed.</summary>
    public sealed record Reused : RefreshResult;

    /// <summary>Unknown token, or its session revoked or expired.</summary>
    public sealed record Invalid : RefreshResult;

    /// <summary>Another refresh of the session held its lock past <c>Auth:RefreshLockTimeout</c>.</summary>
    public sealed record Conflict : RefreshResult;
}
