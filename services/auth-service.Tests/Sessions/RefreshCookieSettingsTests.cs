using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

/// <summary>Cookie name and attributes under the Auth:RefreshCookie settings (each test runs its own service).</summary>
public sealed class RefreshCookieSettingsTests
{
    [Fact]
    public async Task Signin_SecureDisabled_CookieNamedRefreshTokenWithoutSecure()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Auth:RefreshCookie:Secure"] = "false",
        });
        var client = new AuthClient(factory);

        var response = await client.SigninRawAsync(await client.CreateVerifiedUserAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(SetCookie.All(response, "__Secure-refresh_token"));
        var cookie = SetCookie.Single(response, "refresh_token");
        Assert.False(cookie.Has("Secure"), "Secure must be off when Auth:RefreshCookie:Secure=false");
        Assert.True(cookie.Has("HttpOnly"));
        Assert.Equal("strict", cookie.Get("SameSite")?.ToLowerInvariant());
        Assert.Equal("/auth", cookie.Get("Path"));

        // And the service reads the cookie back under that name.
        var refresh = new HttpRequestMessage(HttpMethod.Post, "/auth/refresh");
        refresh.Headers.Add("Cookie", $"refresh_token={cookie.Value}");
        refresh.Headers.Add("X-Requested-With", "XMLHttpRequest");
        var refreshed = await client.Http.SendAsync(refresh);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.NotEqual(cookie.Value, SetCookie.Single(refreshed, "refresh_token").Value);
    }

    [Fact]
    public async Task Signin_SameSiteNone_ForcesSecureEvenWhenSecureDisabled()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Auth:RefreshCookie:Secure"] = "false",
            ["Auth:RefreshCookie:SameSite"] = "None",
        });
        var client = new AuthClient(factory);

        var response = await client.SigninRawAsync(await client.CreateVerifiedUserAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(SetCookie.All(response, "refresh_token"));
        var cookie = SetCookie.Single(response, "__Secure-refresh_token");
        Assert.True(cookie.Has("Secure"), "SameSite=None must force Secure");
        Assert.Equal("none", cookie.Get("SameSite")?.ToLowerInvariant());
        Assert.True(cookie.Has("HttpOnly"));
        Assert.Equal("/auth", cookie.Get("Path"));
    }
}
