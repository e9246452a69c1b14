namespace AuthService.Mfa;

/// <summary>What confirming a TOTP setup did.</summary>
internal enum TotpConfirmOutcome { Enabled, WrongCode, NotPending, AlreadyEnabled }
