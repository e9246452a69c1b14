namespace AuthService.Mfa;

/// <summary>Second factors: TOTP with recovery codes, and the MFA step of signin.</summary>
internal static class MfaRegistration
{
    public static WebApplicationBuilder AddMfa(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MfaStore>().AddSingleton<MfaChallengeStore>();
        return builder;
    }
}
