using System.Text.Json;
using AuthService.Http;
using Dapper;
using Npgsql;

namespace AuthService.Audit;

/// <summary>Where a request came from, for audit rows and session records.</summary>
public sealed record RequestOrigin(string? Ip, string? UserAgent)
{
    /// <summary>The IP comes from a parsed address; the User-Agent is whatever the client sent, so it is cleaned and bounded first.</summary>
    public static RequestOrigin From(HttpContext http) => new(
        http.Connection.RemoteIpAddress?.ToString(),
        HeaderText.Clean(http.Request.Headers.UserAgent, HeaderText.MaxUserAgentLength));
}

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
}

/// <summary>
/// Appends audit events: who, what, from where. Details never hold secrets (no passwords, no
/// tokens); callers pass only ids and reasons.
/// </summary>
public static class AuditLog
{
    private const string Insert = """
        INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
        VALUES (@userId, @kind, @Ip, @UserAgent, @now, @details::jsonb)
        """;

    /// <summary>Inside the caller's transaction, so the event commits or rolls back with its cause.</summary>
    public static Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, Guid? userId, RequestOrigin origin,
        DateTimeOffset now, object? details, CancellationToken ct) =>
        conn.ExecuteAsync(new CommandDefinition(Insert, Parameters(kind, userId, origin, now, details), tx, cancellationToken: ct));

    public static async Task WriteAsync(NpgsqlDataSource dataSource, string kind, Guid? userId, RequestOrigin origin,
        DateTimeOffset now, object? details, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await WriteAsync(conn, null, kind, userId, origin, now, details, ct);
    }

    private static object Parameters(string kind, Guid? userId, RequestOrigin origin, DateTimeOffset now, object? details) =>
        new { kind, userId, origin.Ip, origin.UserAgent, now, details = details is null ? null : JsonSerializer.Serialize(details) };
}
