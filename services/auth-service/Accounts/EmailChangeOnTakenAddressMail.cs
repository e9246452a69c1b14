using AuthService.Email;

namespace AuthService.Accounts;

/// <summary>The notice to the owner of an address that another account asked to move to (throttled like a link mail).</summary>
public sealed class EmailChangeOnTakenAddressMail(EmailTemplates templates) : IOutboxMail
{
    public const string KindName = "email_change_taken_notice";

    public string Kind => KindName;
    public bool Throttled => true;

    public Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct) =>
        Task.FromResult<EmailMessage?>(templates.EmailChangeOnTakenAddress(mail.To));
}
