using AuthService.Http;

namespace AuthService.Admin;

/// <summary>POST /admin/users. Without a password the user is invited: a mail with a set-password link.</summary>
public sealed record CreateUserRequest(string? Email, string? Password, string? DisplayName, string?[]? Roles, bool? EmailVerified) : JsonRequest;
