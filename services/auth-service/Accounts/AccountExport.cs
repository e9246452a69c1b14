using AuthService.Sessions;
using AuthService.Shared;

namespace AuthService.Accounts;

/// <summary>GET /auth/me/export: what the service holds about the caller, without secrets (no hashes, tokens or keys).</summary>
public sealed record AccountExport(
    UserResponse Profile, IReadOnlyList<string> Roles, IReadOnlyList<SessionResponse> Sessions, MfaStatus Factors,
    IReadOnlyList<ExportedAuditEvent> AuditEvents, DateTimeOffset ExportedAt);
