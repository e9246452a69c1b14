using AuthService.Email;
using AuthService.Options;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>The outbox kinds of mails that carry a credential-bearing link, and how to void them all.</summary>
public static class EmailLinks
{
    public const string VerifyKind = "verify_email";
    public const string ResetKind = "password_reset";
    public const string EmailChangeKind = "email_change"; // v2: confirmation link to a new address

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
        await conn.ExecuteAsync(new CommandDefinition(voidTokens, new { userId, now }, tx, cancellationToken: ct));
        await conn.ExecuteAsync(new CommandDefinition(voidSignups, new { userId, now }, tx, cancellationToken: ct));
    }
}

/// <summary>
/// The verification mail of one signup (<c>params</c>: signupId). Its token is minted when the mail
/// is sent and bound to that signup, so the link activates that signup's credential and no other;
/// a signup superseded or an account verified in the meantime means no mail at all.
/// </summary>
public sealed class VerificationMail(EmailTemplates templates, IOptions<AuthOptions> options) : IOutboxMail
{
    public string Kind => EmailLinks.VerifyKind;
    public bool Throttled => true;

    public async Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct)
    {
        const string live = """
            SELECT u.id FROM signups s JOIN users u ON u.id = s.user_id
            WHERE s.id = @signupId AND s.voided_at IS NULL AND u.email_verified_at IS NULL AND u.email = @To
            """;
        if (mail.Long("signupId") is not { } signupId) return null;
        var userId = await mail.Connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(live, new { signupId, mail.To }, mail.Transaction, cancellationToken: ct));
        if (userId is null) return null;
        var token = await AccountStore.CreateEmailTokenAsync(mail.Connection, mail.Transaction, userId.Value, "verify",
            mail.Now + options.Value.VerifyEmailTokenLifetime, mail.Now, ct, signupId);
        return templates.VerifyEmail(mail.To, token);
    }
}

/// <summary>The notice to the owner of a verified account that someone tried to sign up with its address.</summary>
public sealed class SignupOnTakenAddressMail(EmailTemplates templates) : IOutboxMail
{
    public const string KindName = "signup_taken_notice";

    public string Kind => KindName;
    public bool Throttled => true;

    public Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct) =>
        Task.FromResult<EmailMessage?>(templates.SignupAttemptOnExistingAccount(mail.To));
}
