namespace AuthService.Shared;

/// <summary>The caller behind a valid bearer token whose session is still live (set by Sessions' BearerAuthentication).</summary>
public sealed record AuthenticatedUser(UserResponse User, Guid SessionId);
