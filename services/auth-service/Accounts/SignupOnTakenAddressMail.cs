using AuthService.Email;

namespace AuthService.Accounts;

/// <summary>The notice to the owner of a verified account that someone tried to sign up with its address.</summary>
public sealed class SignupOnTakenAddressMail(EmailTemplates templates) : IOutboxMail
{
    public const string KindName = "signup_taken_notice";

    public string Kind => KindName;
    public bool Throttled => true;

    public Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct) =>
        Task.FromResult<EmailMessage?>(templates.SignupAttemptOnExistingAccount(mail.To));
}
