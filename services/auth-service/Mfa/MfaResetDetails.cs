using AuthService.Audit;

namespace AuthService.Mfa;

/// <summary>admin_mfa_reset: what was removed.</summary>
public sealed record MfaResetDetails(bool Totp, int RecoveryCodes, int Passkeys) : AuditDetails;
