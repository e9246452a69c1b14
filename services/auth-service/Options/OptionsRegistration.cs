using Microsoft.Extensions.Options;

namespace AuthService.Options;

public static class OptionsRegistration
{
    /// <summary>Binds every section and validates it when the host starts, so bad settings stop the service with the key's name.</summary>
    public static WebApplicationBuilder AddAuthServiceOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart()
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.Issuer) && builder.Environment.IsDevelopment()) o.Issuer = "http://localhost:8080";
                if (string.IsNullOrWhiteSpace(o.AppBaseUrl)) o.AppBaseUrl = o.Issuer;
            });
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateOnStart()
            .Validate(o => o.Transport is "log" or "smtp", "Email:Transport must be 'log' or 'smtp'.")
            .Validate(o => o.MinIntervalPerAddress >= TimeSpan.Zero, "Email:MinIntervalPerAddress must not be negative (00:00:00 switches it off).");
        services.AddOptions<DevEndpointsOptions>().BindConfiguration(DevEndpointsOptions.Section);
        return builder;
    }
}
