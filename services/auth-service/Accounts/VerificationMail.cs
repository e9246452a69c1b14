using AuthService.Email;
using AuthService.Options;
using AuthService.Shared;
using Dapper;
using Microsoft.Extensions.Options;

namespace AuthService.Accounts;

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
        var userId = await mail.Connection.QuerySingleOrDefaultAsync<Guid?>(live, new { signupId, mail.To, ct }, mail.Transaction);
        if (userId is null) return null;
        var token = await AccountStore.CreateEmailTokenAsync(mail.Connection, mail.Transaction, userId.Value, EmailTokenPurposes.Verify,
            mail.Now + options.Value.VerifyEmailTokenLifetime, mail.Now, ct, signupId);
        return templates.VerifyEmail(mail.To, token);
    }
}
