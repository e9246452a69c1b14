using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Tokens;

public sealed class DownstreamValidationTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private AuthServiceFactory Auth => fixture.Factory;

    /// <summary>A fresh token; the service's clock is put at real time because the downstream host uses real time.</summary>
    private async Task<SignedIn> SigninNowAsync(AuthServiceFactory? factory = null)
    {
        factory ??= Auth;
        factory.Clock.Set(DateTimeOffset.UtcNow);
        return await new AuthClient(factory).SignupAndSigninAsync();
    }

    private static async Task AssertRejectedAsync(HttpResponseMessage response, string reason)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Contains("invalid_token", challenge);
        Assert.Contains(reason, challenge, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    private static string Sub(SignedIn signedIn) => signedIn.Body.GetProperty("user").GetProperty("id").GetString()!;

    [Fact]
    public async Task Downstream_ConfiguredFromDiscovery_AcceptsAccessToken()
    {
        var signedIn = await SigninNowAsync();
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        var response = await downstream.WhoAmIAsync(signedIn.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sub(signedIn), await response.Content.ReadAsStringAsync());
        Assert.Equal(Sub(signedIn), TestKeys.Segment(signedIn.AccessToken, 1).GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Downstream_WithoutToken_Returns401()
    {
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        var response = await downstream.Http.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Downstream_RejectsTokenWithTamperedPayload()
    {
        var signedIn = await SigninNowAsync();
        var parts = signedIn.AccessToken.Split('.');
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])))!;
        payload["sub"] = Guid.NewGuid().ToString();
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        await AssertRejectedAsync(await downstream.WhoAmIAsync(tampered), "signature");
    }

    [Fact]
    public async Task Downstream_RejectsTokenWithTamperedSignature()
    {
        var signedIn = await SigninNowAsync();
        var parts = signedIn.AccessToken.Split('.');
        var signature = Base64Url.DecodeFromChars(parts[2]);
        signature[5] ^= 0x01;
        var tampered = $"{parts[0]}.{parts[1]}.{Base64Url.EncodeToString(signature)}";
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        await AssertRejectedAsync(await downstream.WhoAmIAsync(tampered), "signature");
    }

    [Fact]
    public async Task Downstream_RejectsUnsignedToken()
    {
        var signedIn = await SigninNowAsync();
        var header = Base64Url.EncodeToString("""{"alg":"none","typ":"at+jwt"}"""u8);
        var unsigned = $"{header}.{signedIn.AccessToken.Split('.')[1]}.";
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        var response = await downstream.WhoAmIAsync(unsigned);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Downstream_RejectsExpiredToken()
    {
        var email = await new AuthClient(Auth).CreateVerifiedUserAsync();
        var now = Auth.Clock.GetUtcNow();
        SignedIn signedIn;
        try
        {
            Auth.Clock.Set(DateTimeOffset.UtcNow.AddHours(-1));
            signedIn = await new AuthClient(Auth).SigninAsync(email);
        }
        finally
        {
            Auth.Clock.Set(now);
        }
        var exp = DateTimeOffset.FromUnixTimeSeconds(TestKeys.Segment(signedIn.AccessToken, 1).GetProperty("exp").GetInt64());
        Assert.True(exp < DateTimeOffset.UtcNow.AddMinutes(-30), $"exp {exp:O} should be long past");
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        await AssertRejectedAsync(await downstream.WhoAmIAsync(signedIn.AccessToken), "expired");
    }

    [Fact]
    public async Task Downstream_ForAnotherAudience_RejectsOurToken()
    {
        var signedIn = await SigninNowAsync();
        await using var downstream = await DownstreamApi.StartAsync(Auth, audience: "other");

        await AssertRejectedAsync(await downstream.WhoAmIAsync(signedIn.AccessToken), "audience");
    }

    [Fact]
    public async Task Downstream_RejectsTokenIssuedForAnotherAudience()
    {
        // Same database, so the same signing keys and issuer: only the audience differs.
        await using var otherAudience = await new AuthServiceFactory(Auth.ConnectionString,
            new Dictionary<string, string?> { ["Auth:Audience"] = "other" }).StartAsync();
        var signedIn = await SigninNowAsync(otherAudience);
        var claims = TestKeys.Segment(signedIn.AccessToken, 1);
        Assert.Equal("other", claims.GetProperty("aud").GetString());
        Assert.Equal(AuthServiceFactory.Issuer, claims.GetProperty("iss").GetString());
        await AssertKidPublishedByAsync(signedIn.AccessToken, Auth);
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        await AssertRejectedAsync(await downstream.WhoAmIAsync(signedIn.AccessToken), "audience");
    }

    [Fact]
    public async Task Downstream_RejectsTokenFromAnotherIssuer()
    {
        // Same database and keys, so the signature is fine: only the issuer differs.
        await using var otherIssuer = await new AuthServiceFactory(Auth.ConnectionString,
            new Dictionary<string, string?> { ["Auth:Issuer"] = "https://impostor.test" }).StartAsync();
        var signedIn = await SigninNowAsync(otherIssuer);
        Assert.Equal("https://impostor.test", TestKeys.Segment(signedIn.AccessToken, 1).GetProperty("iss").GetString());
        await AssertKidPublishedByAsync(signedIn.AccessToken, Auth);
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        await AssertRejectedAsync(await downstream.WhoAmIAsync(signedIn.AccessToken), "issuer");
    }

    private static async Task AssertKidPublishedByAsync(string token, AuthServiceFactory factory)
    {
        var kid = TestKeys.Segment(token, 0).GetProperty("kid").GetString();
        var jwks = JsonSerializer.Deserialize<JsonElement>(await factory.CreateClient().GetStringAsync("/.well-known/jwks.json"));
        Assert.Contains(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == kid);
    }
}
