using AuthService.Http;

namespace AuthService.Accounts;

public sealed record ConfirmEmailChangeRequest(string? Token) : JsonRequest;
