namespace AuthService.Mfa;

/// <summary>Ten fresh recovery codes, shown this once.</summary>
public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);
