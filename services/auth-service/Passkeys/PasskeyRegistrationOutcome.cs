namespace AuthService.Passkeys;

/// <summary>A registration's end: the new passkey, or the <c>errors.credential</c> code that refused it.</summary>
internal sealed record PasskeyRegistrationOutcome(PasskeyResponse? Passkey, string? Error);
