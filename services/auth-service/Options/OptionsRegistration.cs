using AuthService.Telemetry;
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
            .Validate(o => o.MinIntervalPerAddress >= TimeSpan.Zero, "Email:MinIntervalPerAddress must not be negative (00:00:00 switches it off).")
            .Validate(o => !o.Smtp.StartTls || o.Smtp.Security is null or SmtpSecurity.StartTls,
                "Email:Smtp:StartTls=true contradicts Email:Smtp:Security; set only Email:Smtp:Security (None, Auto, StartTls or SslOnConnect).")
            .Validate(o => o.Smtp.Timeout > TimeSpan.Zero, "Email:Smtp:Timeout must be positive.")
            .Validate(o => string.IsNullOrWhiteSpace(o.ReplyTo) || MimeKit.MailboxAddress.TryParse(o.ReplyTo, out _),
                "Email:ReplyTo must be one email address.")
            .Validate(o => o.Transport != "smtp" || o.Smtp.Security != SmtpSecurity.None || string.IsNullOrEmpty(o.Smtp.Username),
                "Email:Smtp:Username with Email:Smtp:Security=None would send the password in plain text; use StartTls, SslOnConnect or Auto.")
            .Validate(o => o.Smtp.ServerCertificate is not { Length: > 0 } path || File.Exists(path),
                "Email:Smtp:ServerCertificate names a file that does not exist.");
        services.AddOptions<DevEndpointsOptions>().BindConfiguration(DevEndpointsOptions.Section);
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart()
            .Validate(o => o.PrometheusEndpoint.Port is >= 0 and <= 65535, "Telemetry:PrometheusEndpoint:Port must be a TCP port (0 picks a free one).")
            // Port 0 on both sides is two free ports, never one.
            .Validate(o => !o.PrometheusEndpoint.Enabled || o.PrometheusEndpoint.Port == 0 || !PrometheusEndpoint.PublicPorts(builder.Configuration).Contains(o.PrometheusEndpoint.Port),
                "Telemetry:PrometheusEndpoint:Port is a port the API listens on; /metrics needs a port of its own.");
        return builder;
    }
}
