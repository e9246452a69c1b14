using AuthService.Http;

namespace AuthService.Accounts;

public sealed record ResetPasswordRequest(string? Token, string? NewPassword) : JsonRequest;
