using AuthService.Http;

namespace AuthService.Shared;

/// <summary>A request that names an address only: resend verification, forgot password.</summary>
public sealed record EmailRequest(string? Email) : JsonRequest;
