using AuthService.Audit;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Admin;

/// <summary>
/// Deletes an account and everything that refers to it, inside the caller's transaction: the user row (its
/// sessions, refresh tokens, email tokens and signups go with it, ON DELETE CASCADE), its mails in the outbox,
/// the failure count of its address. The audit trail keeps its events under the user id, but without the
/// personal data: address, user agent and the personal members of <c>details</c> are removed. Shared by the
/// admin API and (later) self-service deletion, so both erase exactly the same things.
/// </summary>
internal static class AccountDeletion
{
    /// <summary>Members of audit <c>details</c> that name a person or a device.</summary>
    private static readonly string[] PersonalDetails = ["email", "ip", "userAgent", "sessionDevice", "sessionIp", "to", "newEmail"];

    /// <summary>False when no such user exists (nothing was changed).</summary>
    public static async Task<bool> DeleteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, CancellationToken ct)
    {
        const string deleteUser = "DELETE FROM users WHERE id = @userId RETURNING email";
        var email = await conn.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(deleteUser, new { userId }, tx, cancellationToken: ct));
        if (email is null) return false;
        const string erase = """
            DELETE FROM outbox_emails WHERE user_id = @userId OR "to" = @email;
            DELETE FROM signin_failures WHERE email = @email;
            UPDATE audit_events SET ip = NULL, user_agent = NULL, details = details - @personal
            WHERE user_id = @userId;
            UPDATE audit_events SET details = details - @personal
            WHERE user_id IS NULL AND details ->> 'email' = @email;
            """;
        await conn.ExecuteAsync(new CommandDefinition(erase, new { userId, email, personal = PersonalDetails }, tx, cancellationToken: ct));
        return true;
    }

    /// <summary>The audit event of the deletion itself: under the user id, the actor's origin only.</summary>
    public static Task AuditAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, Guid? actorId, RequestOrigin origin,
        DateTimeOffset now, CancellationToken ct) =>
        AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserDeleted, userId, actorId, origin, now, null, ct);
}
