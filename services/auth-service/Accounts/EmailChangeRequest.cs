using AuthService.Http;

namespace AuthService.Accounts;

public sealed record EmailChangeRequest(string? NewEmail, string? Password) : JsonRequest;
