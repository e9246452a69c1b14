using AuthService.Http;

namespace AuthService.Mfa;

public sealed record DisableTotpRequest(string? Password, string? Code) : JsonRequest;
