using AuthService.Audit;

namespace AuthService.Admin;

/// <summary>admin_user_created: what the admin set, never the password.</summary>
public sealed record AdminUserCreatedDetails(string[] Roles, bool EmailVerified, bool Invited) : AuditDetails;
