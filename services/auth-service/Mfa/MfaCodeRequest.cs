using AuthService.Http;

namespace AuthService.Mfa;

/// <summary>A second-factor code: a TOTP code (confirm), or a TOTP or recovery code (new recovery codes).</summary>
public sealed record MfaCodeRequest(string? Code) : JsonRequest;
