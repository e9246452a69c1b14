namespace AuthService.Audit;

/// <summary>The audit trail's event kinds, in one place.</summary>
public static class AuditKinds
{
    public const string Signup = "signup";
    public const string SignupExistingEmail = "signup_existing_email";
    public const string EmailVerified = "email_verified";
    public const string SigninSucceeded = "signin_succeeded";
    public const string SigninFailed = "signin_failed";
    public const string RefreshReused = "refresh_reused";
    public const string Logout = "logout";
    public const string LogoutAll = "logout_all";
    public const string PasswordResetRequested = "password_reset_requested";
    public const string PasswordReset = "password_reset";
    public const string PasswordChanged = "password_changed";
    /// <summary>A wrong current password on a password change; counts toward the email's lockout like signin_failed.</summary>
    public const string PasswordChangeFailed = "password_change_failed";
    /// <summary>A stored hash replaced at signin: bcrypt → Argon2id, or Argon2id with the configured parameters.</summary>
    public const string PasswordRehashed = "password_rehashed";
    public const string SessionRevoked = "session_revoked";
    /// <summary>A role granted or revoked (command line: no actor; admin API: the admin is the actor). Details: the role(s).</summary>
    public const string RoleGranted = "role_granted";
    public const string RoleRevoked = "role_revoked";
    /// <summary>Admin API events: <c>actor_id</c> is the admin, <c>user_id</c> the account acted on.</summary>
    public const string AdminUserCreated = "admin_user_created";
    public const string AdminUserUpdated = "admin_user_updated";
    public const string AdminUserDisabled = "admin_user_disabled";
    public const string AdminUserEnabled = "admin_user_enabled";
    public const string AdminUserLoggedOut = "admin_user_logged_out";
    public const string AdminUserDeleted = "admin_user_deleted";
    public const string EmailChangeRequested = "email_change_requested";
    /// <summary>A wrong password on an email change; counts toward the email's lockout like signin_failed.</summary>
    public const string EmailChangeFailed = "email_change_failed";
    public const string EmailChanged = "email_changed";
    /// <summary>A wrong password on a self-service deletion; counts toward the email's lockout like signin_failed.</summary>
    public const string AccountDeleteFailed = "account_delete_failed";
    public const string AccountDeleted = "account_deleted";
    /// <summary>A user created by import (CLI or admin API); details: source, passwordFormat, emailVerified (never the hash).</summary>
    public const string UserImported = "user_imported";
    /// <summary>A passkey registered or removed by its owner; details: the passkey's id (never key material).</summary>
    public const string PasskeyAdded = "passkey_added";
    public const string PasskeyRemoved = "passkey_removed";
    /// <summary>A passkey assertion refused for a known credential (bad signature, counter not increased, …); details: passkeyId, reason.</summary>
    public const string PasskeySigninFailed = "passkey_signin_failed";
    /// <summary>TOTP confirmed with a first code; recovery codes issued.</summary>
    public const string TotpEnabled = "totp_enabled";
    /// <summary>TOTP turned off (password and a code); details: the method of the code.</summary>
    public const string TotpDisabled = "totp_disabled";
    /// <summary>A wrong password when turning TOTP off; counts toward the email's lockout like signin_failed.</summary>
    public const string TotpDisableFailed = "totp_disable_failed";
    public const string RecoveryCodesRegenerated = "recovery_codes_regenerated";
    /// <summary>
    /// A wrong second-factor code (signin's second step, or a code a sensitive operation asked for); counts toward the
    /// email's lockout like signin_failed. Details: email, failures, and never the code.
    /// </summary>
    public const string MfaFailed = "mfa_failed";
    /// <summary>A signin's second step passed; details: the method (totp, recovery_code). signin_succeeded follows.</summary>
    public const string MfaSucceeded = "mfa_succeeded";
    /// <summary>An admin removed a user's TOTP, recovery codes and passkeys (a lost device); the admin is the actor.</summary>
    public const string AdminMfaReset = "admin_user_mfa_reset";
}
