using AuthService.Data;

namespace AuthService.Tokens;

internal static class TokensRegistration
{
    /// <summary>
    /// Signing keys (stored, ring, maintenance), the access-token issuer, the discovery document, and the secrets sealed
    /// under the key-encryption keys (the refresh successor key, the rewrap that moves them all to the newest KEK).
    /// </summary>
    public static WebApplicationBuilder AddTokens(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<ServerSecrets>().AddSingleton<SigningKeyStore>().AddSingleton<SigningKeyRing>()
            .AddSingleton<AccessTokenIssuer>().AddSingleton<DiscoveryDocument>();
        services.AddSingleton<SigningKeyMaintenance>();
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<SigningKeyMaintenance>());
        services.AddHostedService(sp => sp.GetRequiredService<SigningKeyMaintenance>());
        // After the signing keys: a database from before server_secrets derives its successor key from the KEK that sealed them.
        services.AddSingleton<ServerSecretStore>().AddSingleton<RefreshSuccessorKey>().AddSingleton<KeyRewrap>();
        services.AddSingleton<IStartupStep>(sp => sp.GetRequiredService<RefreshSuccessorKey>());
        return builder;
    }
}
