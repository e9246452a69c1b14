namespace AuthService.Mfa;

/// <summary>Signin's answer when the password was right and TOTP is on: no session yet, only a token for the second step.</summary>
public sealed record MfaRequiredResponse(bool MfaRequired, string MfaToken, IReadOnlyList<string> Methods);
