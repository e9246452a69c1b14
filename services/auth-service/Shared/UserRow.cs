using AuthService.Data;

namespace AuthService.Shared;

/// <summary>The columns of <c>users</c> that make a <see cref="UserResponse"/>; queries alias the columns to these names
/// (<see cref="Columns"/> for a plain <c>users</c> row).</summary>
internal sealed record UserRow(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt, string[] Roles)
{
    /// <summary>The select list of a <c>users</c> row aliased to this record's members, for <c>SELECT … FROM users</c> and <c>RETURNING</c>.</summary>
    public const string Columns =
        "id AS Id, email AS Email, email_verified_at IS NOT NULL AS EmailVerified, display_name AS DisplayName, created_at AS CreatedAt, roles AS Roles";

    // Dapper reports text[] as System.Array, which matches no constructor parameter: it builds the row
    // through this constructor and the init setters instead.
    private UserRow() : this(Guid.Empty, "", false, null, default, []) { }

    public UserResponse ToResponse() =>
        new(Id, Email, EmailVerified, DisplayName, DbTime.Utc(CreatedAt), Roles);
}
