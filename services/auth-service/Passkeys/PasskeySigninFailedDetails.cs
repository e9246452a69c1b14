using AuthService.Audit;

namespace AuthService.Passkeys;

/// <summary>passkey_signin_failed: the known passkey that was refused, and why.</summary>
public sealed record PasskeySigninFailedDetails(Guid PasskeyId, string Reason) : AuditDetails;
