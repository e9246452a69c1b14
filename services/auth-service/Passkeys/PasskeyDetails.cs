using AuthService.Audit;

namespace AuthService.Passkeys;

/// <summary>passkey_added, passkey_removed: the passkey's id, never key material.</summary>
public sealed record PasskeyDetails(Guid PasskeyId) : AuditDetails;
