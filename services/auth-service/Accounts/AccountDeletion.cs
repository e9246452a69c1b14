using AuthService.Audit;
using AuthService.Email;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>
/// Deletes an account and everything that references it, inside the caller's transaction, so the
/// self-service endpoint and an admin delete share one definition of "deleted".
/// </summary>
internal sealed class AccountDeletion(EmailTemplates templates)
{
    // Audit details that may hold personal data; the events stay (under the user id) without them.
    private static readonly string[] PersonalDetailKeys = ["email", "ip", "userAgent", "newEmail", "from", "to", "sessionDevice", "sessionIp"];

    /// <summary>
    /// Deletes <paramref name="userId"/> (sessions, refresh tokens, email tokens and signups go with the
    /// row by cascade); deletes the mails to the user or the address, sent or not; strips ip, user agent
    /// and addresses from the user's audit events (and from events without a user that name the address);
    /// writes <c>account_deleted</c> (the user themself) or <c>admin_user_deleted</c> (an admin) with
    /// <paramref name="actorId"/> and no origin; queues the goodbye mail addressed by email alone, so it
    /// survives the row. The caller commits. Returns the deleted address, or null when no such user.
    /// </summary>
    public async Task<string?> DeleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, Guid? actorId, DateTimeOffset now,
        CancellationToken ct)
    {
        const string lockUser = "SELECT email FROM users WHERE id = @userId FOR UPDATE";
        const string dropMails = """DELETE FROM outbox_emails WHERE user_id = @userId OR "to" = @email""";
        const string scrubAudit = """
            UPDATE audit_events SET ip = NULL, user_agent = NULL, details = details - @keys
            WHERE user_id = @userId;
            UPDATE audit_events SET details = details - @keys
            WHERE user_id IS NULL AND details ->> 'email' = @email
            """;
        const string deleteUser = """
            DELETE FROM signin_failures WHERE email = @email;
            DELETE FROM users WHERE id = @userId
            """;
        const string audit = """
            INSERT INTO audit_events (user_id, kind, actor_id, created_at, details)
            VALUES (@userId, @kind, @actorId, @now, @details::jsonb)
            """;
        var email = await conn.QuerySingleOrDefaultAsync<string>(lockUser, new { userId, ct }, tx);
        if (email is null) return null;
        await conn.ExecuteAsync(dropMails, new { userId, email, ct }, tx);
        await conn.ExecuteAsync(scrubAudit, new { userId, email, keys = PersonalDetailKeys, ct }, tx);
        await conn.ExecuteAsync(deleteUser, new { userId, email, ct }, tx);
        await conn.ExecuteAsync(audit, new
        {
            userId,
            kind = actorId == userId ? AuditKinds.AccountDeleted : AuditKinds.AdminUserDeleted,
            actorId,
            now,
            details = actorId == userId ? "{\"self\":true}" : "{\"self\":false}", ct,
        }, tx);
        await OutboxStore.EnqueueAsync(conn, tx, templates.AccountDeleted(email), now, ct);
        return email;
    }
}
