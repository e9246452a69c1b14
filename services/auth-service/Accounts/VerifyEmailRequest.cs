using AuthService.Http;

namespace AuthService.Accounts;

/// <summary>POST /auth/verify-email: <c>password</c> of the link's signup, needed when the address saw more than one signup.</summary>
public sealed record VerifyEmailRequest(string? Token, string? Password) : JsonRequest;
