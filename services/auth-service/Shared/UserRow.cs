using AuthService.Data;

namespace AuthService.Shared;

/// <summary>The columns of <c>users</c> that make a <see cref="UserResponse"/>. Every query that answers with a user selects
/// <see cref="Columns"/> (or <see cref="ColumnsOfU"/>), so a member added to the user object is added once, here.</summary>
internal sealed record UserRow(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt, string[] Roles,
    bool Totp, int Passkeys)
{
    /// <summary>The select list of a <c>users</c> row aliased to this record's members, for <c>SELECT … FROM users</c> and <c>RETURNING</c>.</summary>
    public const string Columns =
        "id AS Id, email AS Email, email_verified_at IS NOT NULL AS EmailVerified, display_name AS DisplayName, created_at AS CreatedAt, " +
        "roles AS Roles, totp_enabled AS Totp, passkey_count AS Passkeys";

    /// <summary><see cref="Columns"/> of <c>users u</c>, for joins.</summary>
    public const string ColumnsOfU =
        "u.id AS Id, u.email AS Email, u.email_verified_at IS NOT NULL AS EmailVerified, u.display_name AS DisplayName, u.created_at AS CreatedAt, " +
        "u.roles AS Roles, u.totp_enabled AS Totp, u.passkey_count AS Passkeys";

    // Dapper reports text[] as System.Array, which matches no constructor parameter: it builds the row
    // through this constructor and the init setters instead.
    private UserRow() : this(Guid.Empty, "", false, null, default, [], false, 0) { }

    public UserResponse ToResponse() =>
        new(Id, Email, EmailVerified, DisplayName, DbTime.Utc(CreatedAt), Roles, new MfaStatus(Totp, Passkeys));
}
