using AuthService.Audit;

namespace AuthService.Admin;

/// <summary>admin_user_updated: what changed (the display name only as <c>changed</c>); null for what the request left alone.</summary>
public sealed record AdminUserUpdatedDetails(string? DisplayName, string[]? RolesAdded, string[]? RolesRemoved, bool? EmailVerified) : AuditDetails;
