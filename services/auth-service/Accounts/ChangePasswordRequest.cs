using AuthService.Http;

namespace AuthService.Accounts;

/// <summary><c>code</c>: a current TOTP code or an unused recovery code, required when TOTP is on.</summary>
public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword, string? Code = null) : JsonRequest;
