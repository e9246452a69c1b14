using AuthService.Email;

namespace AuthService.Sessions;

internal static class SessionsRegistration
{
    /// <summary>Sessions, refresh rotation and its cookie, the signin lockout, bearer authentication and its session cache.</summary>
    public static WebApplicationBuilder AddSessions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SessionStore>().AddSingleton<RefreshRotation>().AddSingleton<RefreshCookie>().AddSingleton<SigninLockout>()
            .AddSingleton<SessionStart>();
        builder.Services.AddSingleton<RefreshRotationBatcher>().AddHostedService(sp => sp.GetRequiredService<RefreshRotationBatcher>());
        builder.Services.AddSingleton<SessionCache>().AddSingleton<ValidatedTokenCache>();
        builder.Services.AddSingleton<SessionChangeListener>().AddHostedService(sp => sp.GetRequiredService<SessionChangeListener>());
        builder.Services.AddBearerAuthentication();
        builder.Services.AddOutboxMail<RefreshReuseNoticeMail>();
        return builder;
    }
}
