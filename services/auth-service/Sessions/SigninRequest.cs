using AuthService.Http;

namespace AuthService.Sessions;

public sealed record SigninRequest(string? Email, string? Password) : JsonRequest;
