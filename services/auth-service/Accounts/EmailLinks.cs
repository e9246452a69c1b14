using AuthService.Email;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>The outbox kinds of mails that carry a credential-bearing link, and how to void them all.</summary>
internal static class EmailLinks
{
    public const string VerifyKind = "verify_email";
    public const string ResetKind = "password_reset";
    public const string EmailChangeKind = "email_change";

    /// <summary>Every kind that carries such a link.</summary>
    public static readonly string[] AllKinds = [VerifyKind, ResetKind, EmailChangeKind];

    /// <summary>
    /// After the account's credential changed (password change or reset): every open email token of
    /// the user is used up, every pending signup voided, and unsent link mails are dropped. The drop
    /// comes first: it waits for a render in progress, so the token that render mints is voided too.
    /// </summary>
    public static async Task VoidAllAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, DateTimeOffset now, CancellationToken ct)
    {
        const string voidTokens = "UPDATE email_tokens SET used_at = @now WHERE user_id = @userId AND used_at IS NULL";
        const string voidSignups = "UPDATE signups SET voided_at = @now WHERE user_id = @userId AND voided_at IS NULL";
        await OutboxStore.DropPendingAsync(conn, tx, userId, AllKinds, now, ct);
        await conn.ExecuteAsync(voidTokens, new { userId, now, ct }, tx);
        await conn.ExecuteAsync(voidSignups, new { userId, now, ct }, tx);
    }
}
