namespace AuthService.Admin;

/// <summary>Field codes of the admin API's validation problems beyond <see cref="Shared.FieldErrors"/>.</summary>
public static class AdminFieldErrors
{
    /// <summary>An admin tried to disable or delete their own account (field <c>id</c>).</summary>
    public const string OwnAccount = "own_account";

    /// <summary>An admin tried to remove <c>admin</c> from their own roles (field <c>roles</c>): nobody locks the last door from inside.</summary>
    public const string OwnAdminRole = "own_admin_role";
}
