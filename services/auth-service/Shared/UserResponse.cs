namespace AuthService.Shared;

/// <summary>The user as every answer shows it (signup verification, /auth/me, token responses).</summary>
/// <remarks><see cref="Roles"/> is what the user holds now; access tokens carry it as <c>roles</c> (a change shows at the next refresh).</remarks>
public sealed record UserResponse(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt,
    IReadOnlyList<string> Roles, MfaStatus Mfa);
