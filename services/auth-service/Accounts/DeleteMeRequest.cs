using AuthService.Http;

namespace AuthService.Accounts;

/// <summary><c>code</c> is for a second factor once those exist; it is accepted and ignored until then.</summary>
public sealed record DeleteMeRequest(string? Password, string? Code) : JsonRequest;
