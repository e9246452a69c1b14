using AuthService.Audit;

namespace AuthService.Mfa;

/// <summary>The second factor a code was checked with (<c>totp</c>, <c>recovery_code</c>), never the code.</summary>
public sealed record MfaMethodDetails(string Method) : AuditDetails;
