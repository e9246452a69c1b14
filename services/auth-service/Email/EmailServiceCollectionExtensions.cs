using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Email;

public static class EmailServiceCollectionExtensions
{
    public static IServiceCollection AddEmail(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            var email = sp.GetRequiredService<IOptions<EmailOptions>>().Value;
            return new EmailTemplates(email.ProductName, auth.AppBaseUrl, auth.VerifyEmailTokenLifetime, auth.ResetPasswordTokenLifetime);
        });
        services.AddSingleton<LogEmailTransport>().AddSingleton<SmtpEmailTransport>();
        services.AddSingleton<IEmailTransport>(sp => sp.GetRequiredService<IOptions<EmailOptions>>().Value.Transport == "smtp"
            ? sp.GetRequiredService<SmtpEmailTransport>()
            : sp.GetRequiredService<LogEmailTransport>());
        services.AddSingleton<OutboxMails>().AddOutboxMail<RefreshReuseNoticeMail>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }

    /// <summary>Plugs a feature's mail kind into the outbox: rows of that kind are rendered by <typeparamref name="T"/> when sent.</summary>
    public static IServiceCollection AddOutboxMail<T>(this IServiceCollection services) where T : class, IOutboxMail =>
        services.AddSingleton<IOutboxMail, T>();
}
