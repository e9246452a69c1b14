namespace AuthService.Shared;

/// <summary>The values of <c>sessions.revoked_reason</c>, in one place (the SQL takes them as parameters).</summary>
public static class RevocationReasons
{
    public const string Logout = "logout";
    public const string LogoutAll = "logout_all";
    public const string Deleted = "deleted";
    /// <summary>An admin disabled the account.</summary>
    public const string Disabled = "disabled";
    /// <summary>An admin logged the user out everywhere.</summary>
    public const string AdminLogout = "admin_logout";
    public const string PasswordChange = "password_change";
    public const string PasswordReset = "password_reset";
    public const string EmailChange = "email_change";

    /// <summary>Written by <c>rotate_refresh_token_v2</c> (Sessions/rotate_refresh_token_v2.sql) as a literal; a test checks it matches.</summary>
    public const string RefreshTokenReused = "refresh_token_reused";
}
