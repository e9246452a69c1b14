using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Tokens;

/// <summary>The operator's incident command, as `./AuthService rotate-signing-key [--revoke-current]` runs it.</summary>
public sealed class SigningKeyCommandTests
{
    [Fact]
    public async Task RotateSigningKey_RevokeCurrent_NewKeySignsAndOldKeyLeavesJwks()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var before = await KidsAsync(factory);
        var oldToken = (await client.SignupAndSigninAsync()).AccessToken;

        await SigningKeyCommands.RotateAsync(factory.Services, revokeCurrent: true);
        await factory.Services.GetRequiredService<SigningKeyMaintenance>().MaintainKeysAsync(CancellationToken.None);

        var after = await KidsAsync(factory);
        var newKid = Assert.Single(after);
        Assert.DoesNotContain(newKid, before);
        Assert.Equal(newKid, TestKeys.Segment((await client.SignupAndSigninAsync()).AccessToken, 0).GetProperty("kid").GetString());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", oldToken)).StatusCode);
    }

    private static async Task<string[]> KidsAsync(AuthServiceFactory factory)
    {
        var jwks = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        return jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToArray();
    }
}
