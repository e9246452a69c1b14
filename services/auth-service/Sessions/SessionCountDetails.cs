using AuthService.Audit;

namespace AuthService.Sessions;

/// <summary>logout_all, admin_user_disabled, admin_user_logged_out: how many sessions were revoked.</summary>
public sealed record SessionCountDetails(int Sessions) : AuditDetails;
