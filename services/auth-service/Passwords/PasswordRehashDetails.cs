using AuthService.Audit;

namespace AuthService.Passwords;

/// <summary>password_rehashed: the schemes of the old and the new hash, never the hashes.</summary>
public sealed record PasswordRehashDetails(string From, string To) : AuditDetails;
