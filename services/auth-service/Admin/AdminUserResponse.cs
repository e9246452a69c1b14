using AuthService.Shared;

namespace AuthService.Admin;

/// <summary>The user object as the admin API shows it: the user plus its standing (disabled, last signin, live sessions).</summary>
public sealed record AdminUserResponse(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt,
    IReadOnlyList<string> Roles, MfaStatus Mfa, bool Disabled, DateTimeOffset? DisabledAt, DateTimeOffset? LastSigninAt, int ActiveSessions);
