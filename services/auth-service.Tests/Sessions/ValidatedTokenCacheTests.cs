using System.Net;
using System.Text.Json.Nodes;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tests.Sessions;

/// <summary>
/// A token validated once is not validated again (Sessions/ValidatedTokenCache), which must change nothing a caller can
/// see: its lifetime ends at the same instant, and what was refused stays refused. (A key revoked from the ring takes
/// its tokens with it: KeyRotationTests.IncidentRotation_WithRevoke_RemovesTheOldKeyAndRefusesItsTokens uses the token first.)
/// </summary>
public sealed class ValidatedTokenCacheTests
{
    private static async Task<HttpStatusCode> MeAsync(AuthClient client, string token) =>
        (await client.GetWithBearerAsync("/auth/me", token)).StatusCode;

    [Fact]
    public async Task AValidatedToken_IsRefusedOnceExpired_WithTheSameClockAndSkew()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var session = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.OK, await MeAsync(client, session.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(client, session.AccessToken));
        var exp = DateTimeOffset.FromUnixTimeSeconds(Jwt.Payload(session.AccessToken)["exp"]!.GetValue<long>());

        factory.Clock.Set(exp + TimeSpan.FromSeconds(29)); // within the 30 s skew
        Assert.Equal(HttpStatusCode.OK, await MeAsync(client, session.AccessToken));

        factory.Clock.Set(exp + TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(client, session.AccessToken));
    }

    [Fact]
    public async Task RefusedTokens_StayRefused_AndAMangledCopyOfAValidatedOneIsRefused()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var session = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.OK, await MeAsync(client, session.AccessToken));

        // Signed with the service's own key, but with a crit header: the signature is good, the token is not.
        var signer = factory.Services.GetRequiredService<SigningKeyRing>().Current.SignerAt(factory.Clock.GetUtcNow());
        var header = Jwt.Es256Header(signer.Kid);
        header["crit"] = new JsonArray("exp");
        var crit = Jwt.Make(header, Jwt.Payload(session.AccessToken), Jwt.Es256(((ECDsaSecurityKey)signer.Credentials.Key).ECDsa));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(client, crit));
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(client, crit));

        var parts = session.AccessToken.Split('.');
        var signature = Jwt.Unb64(parts[2]);
        signature[^1] ^= 1;
        var mangled = $"{parts[0]}.{parts[1]}.{Jwt.B64(signature)}";
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(client, mangled));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(client, session.AccessToken));
    }
}
