using AuthService.Data;
using AuthService.Shared;

namespace AuthService.Admin;

/// <summary>
/// A <c>users</c> row with its live-session count, as <see cref="AdminUserStore"/> selects it (<see cref="Select"/>).
/// Settable properties rather than a positional record: Dapper reports text[] as System.Array, which matches no constructor.
/// </summary>
internal sealed class AdminUserRow
{
    /// <summary>Needs <c>@now</c>; alias <c>u</c> for users.</summary>
    public const string Select = """
        SELECT u.id AS Id, u.email AS Email, u.email_verified_at IS NOT NULL AS EmailVerified, u.display_name AS DisplayName,
               u.created_at AS CreatedAt, u.roles AS Roles, u.totp_enabled AS Totp, u.passkey_count AS Passkeys, u.disabled_at AS DisabledAt, u.last_signin_at AS LastSigninAt,
               (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL
                  AND s.expires_at > @now AND s.idle_expires_at > @now) AS ActiveSessions
        FROM users u
        """;

    public Guid Id { get; init; }
    public string Email { get; init; } = "";
    public bool EmailVerified { get; init; }
    public string? DisplayName { get; init; }
    public DateTime CreatedAt { get; init; }
    public string[] Roles { get; init; } = [];
    public bool Totp { get; init; }
    public int Passkeys { get; init; }
    public DateTime? DisabledAt { get; init; }
    public DateTime? LastSigninAt { get; init; }
    public int ActiveSessions { get; init; }

    public AdminUserResponse ToResponse() => new(Id, Email, EmailVerified, DisplayName, DbTime.Utc(CreatedAt), Roles, new MfaStatus(Totp, Passkeys),
        DisabledAt is not null, DisabledAt is { } d ? DbTime.Utc(d) : null, LastSigninAt is { } l ? DbTime.Utc(l) : null, ActiveSessions);
}
