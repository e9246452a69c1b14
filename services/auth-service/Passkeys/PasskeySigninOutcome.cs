namespace AuthService.Passkeys;

/// <summary>A verified assertion's passkey, or null when the assertion was refused.</summary>
internal sealed record PasskeySigninOutcome(StoredPasskey? Passkey);
