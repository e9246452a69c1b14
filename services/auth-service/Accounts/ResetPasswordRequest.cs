using AuthService.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

public sealed record ResetPasswordRequest(string? Token, string? NewPassword) : JsonRequest;
