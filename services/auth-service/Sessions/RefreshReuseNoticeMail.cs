using AuthService.Email;

namespace AuthService.Sessions;

/// <summary>
/// Written by the refresh-reuse SQL function in the transaction that revokes the session
/// (<c>params</c>: device, ip). Not throttled: a reuse is rare (at most once per session) and the
/// owner should hear of each one.
/// </summary>
public sealed class RefreshReuseNoticeMail(EmailTemplates templates) : IOutboxMail
{
    public const string KindName = "refresh_reuse_notice";

    public string Kind => KindName;
    public bool Throttled => false;

    public Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct) =>
        Task.FromResult<EmailMessage?>(templates.SessionRevokedForReuse(mail.To, mail.String("device"), mail.String("ip")));
}
