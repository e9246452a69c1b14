using AuthService.Accounts;
using AuthService.Email;
using AuthService.Options;
using AuthService.Shared;
using Dapper;
using Microsoft.Extensions.Options;

namespace AuthService.Admin;

/// <summary>
/// The invitation of a user an admin created without a password. Rendered when sent, like the reset mail: its
/// link is a reset token (the reset-password flow sets the first password and counts as verification), minted
/// then with <c>Auth:InvitationLifetime</c>.
/// </summary>
public sealed class InvitationMail(EmailTemplates templates, IOptions<AuthOptions> options) : IOutboxMail
{
    public const string KindName = "invitation";

    public string Kind => KindName;
    public bool Throttled => false;

    public async Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct)
    {
        const string owner = "SELECT id FROM users WHERE id = @UserId AND email = @To";
        var userId = await mail.Connection.QuerySingleOrDefaultAsync<Guid?>(owner, new { mail.UserId, mail.To, ct }, mail.Transaction);
        if (userId is null) return null; // deleted before the mail went out
        var lifetime = options.Value.InvitationLifetime;
        var token = await AccountStore.CreateEmailTokenAsync(mail.Connection, mail.Transaction, userId.Value, EmailTokenPurposes.Reset,
            mail.Now + lifetime, mail.Now, ct);
        return templates.Invitation(mail.To, token, lifetime);
    }
}
