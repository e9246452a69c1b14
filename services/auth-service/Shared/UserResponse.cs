namespace AuthService.Shared;

/// <summary>The user as every answer shows it (signup verification, /auth/me, token responses).</summary>
public sealed record UserResponse(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt);
