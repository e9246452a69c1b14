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
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
