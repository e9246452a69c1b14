namespace AuthService.Mfa;

/// <summary>A pending TOTP setup: the secret three ways (base32 to type, the otpauth URI, its QR code as SVG).</summary>
public sealed record TotpSetupResponse(string Secret, string OtpauthUri, string QrSvg);
