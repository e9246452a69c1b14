using AuthService.Email;
using AuthService.Options;
using AuthService.Shared;
using Dapper;
using Microsoft.Extensions.Options;

namespace AuthService.Accounts;

/// <summary>
/// The reset mail, rendered when sent: the token is minted then, so a throttled mail that waited for
/// the end of the interval arrives with a fresh link, and the newest reset token is the only one that
/// works. Minting only inserts (no update of older tokens), so it never waits on a reset in progress.
/// </summary>
public sealed class PasswordResetMail(EmailTemplates templates, IOptions<AuthOptions> options) : IOutboxMail
{
    public string Kind => EmailLinks.ResetKind;
    public bool Throttled => true;

    public async Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct)
    {
        const string owner = "SELECT id FROM users WHERE id = @UserId AND email = @To";
        var userId = await mail.Connection.QuerySingleOrDefaultAsync<Guid?>(owner, new { mail.UserId, mail.To, ct }, mail.Transaction);
        if (userId is null) return null; // the account is gone, or its address changed
        var token = await AccountStore.CreateEmailTokenAsync(mail.Connection, mail.Transaction, userId.Value, EmailTokenPurposes.Reset,
            mail.Now + options.Value.ResetPasswordTokenLifetime, mail.Now, ct);
        return templates.ResetPassword(mail.To, token);
    }
}
