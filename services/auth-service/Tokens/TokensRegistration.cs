using AuthService.Data;

namespace AuthService.Tokens;

internal static class TokensRegistration
{
    /// <summary>Signing keys (stored, ring, maintenance), the access-token issuer and the discovery document.</summary>
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<ServerSecrets>().AddSingleton<SigningKeyStore>().AddSingleton<SigningKeyRing>()
            .AddSingleton<AccessTokenIssuer>().AddSingleton<DiscoveryDocument>();
        services.AddSingleton<SigningKeyMaintenance>();
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<SigningKeyMaintenance>());
        services.AddHostedService(sp => sp.GetRequiredService<SigningKeyMaintenance>());
        return builder;
    }
}
