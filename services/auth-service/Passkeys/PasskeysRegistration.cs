using AuthService.Options;
using Fido2NetLib;
using Microsoft.Extensions.Options;

namespace AuthService.Passkeys;

internal static class PasskeysRegistration
{
    /// <summary>The WebAuthn relying party (Fido2, from <c>Auth:Passkeys</c>, <c>Auth:AllowedOrigins</c> and <c>Auth:AppBaseUrl</c>) and the passkey store.</summary>
    public static WebApplicationBuilder AddPasskeys(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IFido2>(sp =>
        {
            var auth = sp.GetRequiredService<IOptions<AuthOptions>>().Value;
            return new Fido2(new Fido2Configuration
            {
                RPID = PasskeyOptions.EffectiveRpId(auth),
                RPName = PasskeyOptions.EffectiveRpName(auth),
                Origins = new HashSet<string>(PasskeyOptions.AllowedOrigins(auth)),
                Timeout = (uint)PasskeyStore.ChallengeLifetime.TotalMilliseconds,
            }, metadataService: null);
        });
        builder.Services.AddSingleton<PasskeyStore>().AddSingleton<PasskeyCeremonies>();
        return builder;
    }
}
