namespace AuthService.Accounts;

/// <summary>The caller's second factors, as flags and counts: their secrets never leave the service.</summary>
public sealed record ExportedFactors(bool Totp, int Passkeys);
