using AuthService.Http;

namespace AuthService.Admin;

/// <summary>PATCH /admin/users/{id}: only the members sent change.</summary>
public sealed record UpdateUserRequest(string? DisplayName, string?[]? Roles, bool? EmailVerified) : JsonRequest;
