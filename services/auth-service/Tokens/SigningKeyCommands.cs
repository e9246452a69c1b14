using AuthService.Data;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Tokens;

/// <summary>Operator commands run instead of the web host, against the configured database.</summary>
public static class SigningKeyCommands
{
    /// <summary>
    /// Makes a new key sign at once. Replicas pick it up within their key reload interval; downstream
    /// validators fetch the JWKS again when they meet its unknown kid.
    /// </summary>
    public static async Task RotateAsync(IServiceProvider services, bool revokeCurrent)
    {
        var store = services.GetRequiredService<SigningKeyStore>();
        var clock = services.GetRequiredService<TimeProvider>();
        var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        var kid = await store.RotateNowAsync(clock.GetUtcNow(), auth.AccessTokenLifetime, revokeCurrent, CancellationToken.None);
        Console.WriteLine(revokeCurrent
            ? $"New signing key {kid} signs now; previous keys were removed from the JWKS and their tokens no longer validate."
            : $"New signing key {kid} signs now; previous keys stay published until their tokens expire.");
    }
}
