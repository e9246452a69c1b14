using AuthService.Audit;

namespace AuthService.Roles;

/// <summary>role_granted, role_revoked: the role.</summary>
public sealed record RoleDetails(string Role) : AuditDetails;
