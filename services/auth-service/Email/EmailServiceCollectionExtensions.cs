using System.Diagnostics.CodeAnalysis;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Email;

public static class EmailServiceCollectionExtensions
{
    /// <summary>Templates, the transport (log or SMTP) and the outbox dispatcher.</summary>
    public static WebApplicationBuilder AddEmail(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
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
        services.AddSingleton<OutboxMails>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return builder;
    }

    /// <summary>Plugs a feature's mail kind into the outbox: rows of that kind are rendered by <typeparamref name="T"/> when sent.</summary>
    public static IServiceCollection AddOutboxMail<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IServiceCollection services) where T : class, IOutboxMail =>
        services.AddSingleton<IOutboxMail, T>();
}
