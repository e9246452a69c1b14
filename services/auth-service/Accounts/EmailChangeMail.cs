using AuthService.Email;
using AuthService.Shared;
using Dapper;

namespace AuthService.Accounts;

/// <summary>
/// The confirmation link to the new address, minted when the mail is sent (like the reset link), so a
/// throttled mail arrives with a fresh link. The token carries the address it confirms (new_email).
/// </summary>
public sealed class EmailChangeMail(EmailTemplates templates) : IOutboxMail
{
    /// <summary>Fixed (API.md: 1 h): the link moves the account, so it lives no longer than a reset link.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public string Kind => EmailLinks.EmailChangeKind;
    public bool Throttled => true;

    public async Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct)
    {
        // The account must still have the address it had when the change was asked for.
        const string owner = "SELECT id FROM users WHERE id = @UserId AND email = @from";
        const string mint = """
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at, new_email)
            VALUES (@userId, @purpose, @tokenHash, @now, @expiresAt, @newEmail)
            """;
        var from = mail.String("from");
        if (from is null || mail.UserId is null) return null;
        var userId = await mail.Connection.QuerySingleOrDefaultAsync<Guid?>(owner, new { mail.UserId, from, ct }, mail.Transaction);
        if (userId is null) return null;
        var token = OpaqueToken.New();
        await mail.Connection.ExecuteAsync(mint, new
        {
            userId,
            purpose = EmailTokenPurposes.EmailChange,
            tokenHash = OpaqueToken.Hash(token),
            now = mail.Now,
            expiresAt = mail.Now + Lifetime,
            newEmail = mail.To, ct,
        }, mail.Transaction);
        return templates.ConfirmEmailChange(mail.To, token);
    }
}
