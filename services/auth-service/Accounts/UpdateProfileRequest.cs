using AuthService.Http;

namespace AuthService.Accounts;

/// <summary>PATCH /auth/me.</summary>
public sealed record UpdateProfileRequest(string? DisplayName) : JsonRequest;
