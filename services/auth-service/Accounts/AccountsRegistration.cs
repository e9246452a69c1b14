using AuthService.Email;

namespace AuthService.Accounts;

internal static class AccountsRegistration
{
    /// <summary>Accounts and their password flows: stores and the link-bearing mails they queue.</summary>
    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccountStore>().AddSingleton<PasswordStore>().AddSingleton<PasswordReentry>().AddSingleton<EmailChangeStore>().AddSingleton<AccountDeletion>().AddSingleton<AccountExportStore>();
        builder.Services.AddOutboxMail<VerificationMail>().AddOutboxMail<SignupOnTakenAddressMail>().AddOutboxMail<PasswordResetMail>()
            .AddOutboxMail<EmailChangeMail>().AddOutboxMail<EmailChangeOnTakenAddressMail>();
        return builder;
    }
}
