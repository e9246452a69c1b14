using AuthService.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword) : JsonRequest;
