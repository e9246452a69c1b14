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
    /// <summary>A user created by import (CLI or admin API); details: source, passwordFormat, emailVerified (never the hash).</summary>
    public const string UserImported = "user_imported";
}
