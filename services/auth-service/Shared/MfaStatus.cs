namespace AuthService.Shared;

/// <summary>The user's second factors as flags and counts (the user object's <c>mfa</c>): their secrets never leave the service.</summary>
public sealed record MfaStatus(bool Totp, int Passkeys);
