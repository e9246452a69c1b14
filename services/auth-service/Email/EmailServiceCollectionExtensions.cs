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
            return new EmailTemplates(email.ProductName, auth.AppBaseUrl);
        });
        services.AddSingleton<IEmailTransport, LogEmailTransport>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
