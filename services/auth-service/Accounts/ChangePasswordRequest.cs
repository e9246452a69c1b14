using AuthService.Http;

namespace AuthService.Accounts;

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword) : JsonRequest;
