using AuthService.Http;

namespace AuthService.Mfa;

/// <summary>The second step of a signin: the <c>mfaToken</c> of the first, and a TOTP <c>code</c> or a <c>recoveryCode</c>.</summary>
public sealed record MfaSigninRequest(string? MfaToken, string? Code, string? RecoveryCode) : JsonRequest;
