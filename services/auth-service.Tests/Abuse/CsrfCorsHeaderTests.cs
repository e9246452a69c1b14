using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AuthService.Tests.Abuse;

public static class SecurityHeaderAssert
{
    /// <summary>The headers every answer carries (HttpPipeline.SecurityHeaders).</summary>
    public static void Present(HttpResponseMessage response)
    {
        var what = $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} -> {(int)response.StatusCode}";
        Assert.True(AbuseKit.Header(response, "X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options missing");
        Assert.True(AbuseKit.Header(response, "X-Frame-Options") == "DENY", $"{what}: X-Frame-Options missing");
        Assert.True(AbuseKit.Header(response, "Referrer-Policy") == "no-referrer", $"{what}: Referrer-Policy missing");
        var csp = AbuseKit.Header(response, "Content-Security-Policy");
        Assert.True(csp.Contains("default-src 'self'") && csp.Contains("frame-ancestors 'none'"), $"{what}: CSP is '{csp}'");
    }
}

/// <summary>
/// The cookie endpoints (refresh, logout) refuse cross-site calls: no X-Requested-With, or an Origin
/// or Referer outside Auth:AllowedOrigins (the tests allow https://app.test), is 403 csrf_failed.
/// CORS is credentialed for exactly that origin. Security headers on every answer.
/// </summary>
public sealed class CsrfCorsHeaderTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string Allowed = AuthServiceFactory.AllowedOrigin;
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> CookiePostAsync(string path, string refreshToken, bool xRequestedWith = true,
        string? origin = null, string? referer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Cookie", $"{AuthClient.CookieName}={refreshToken}");
        if (xRequestedWith) request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (referer is not null) request.Headers.TryAddWithoutValidation("Referer", referer);
        return client.Http.SendAsync(request);
    }

    /// <summary>The refused call neither rotated nor revoked anything: the same token still refreshes.</summary>
    private async Task AssertSessionUntouchedAsync(SignedIn signedIn)
    {
        var me = await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var refresh = await client.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
    }

    private static async Task AssertCsrfRefusedAsync(HttpResponseMessage response)
    {
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "csrf_failed");
        Assert.Null(AuthClient.RefreshSetCookie(response)); // neither rotated nor cleared
    }

    [Theory]
    [InlineData("/auth/refresh")]
    [InlineData("/auth/logout")]
    public async Task WithoutXRequestedWith_IsCsrfFailed(string path)
    {
        var signedIn = await client.SignupAndSigninAsync();

        await AssertCsrfRefusedAsync(await CookiePostAsync(path, signedIn.RefreshToken, xRequestedWith: false));
        await AssertCsrfRefusedAsync(await CookiePostAsync(path, signedIn.RefreshToken, xRequestedWith: false, origin: Allowed));

        await AssertSessionUntouchedAsync(signedIn);
    }

    [Theory]
    [InlineData("/auth/refresh", "https://evil.test")]
    [InlineData("/auth/refresh", "null")]
    [InlineData("/auth/refresh", "http://app.test")]
    [InlineData("/auth/refresh", "https://app.test.evil.test")]
    [InlineData("/auth/refresh", "https://app.test:8443")]
    [InlineData("/auth/logout", "https://evil.test")]
    [InlineData("/auth/logout", "null")]
    [InlineData("/auth/logout", "https://sub.app.test")]
    public async Task FromAnOriginNotAllowed_IsCsrfFailed(string path, string origin)
    {
        var signedIn = await client.SignupAndSigninAsync();

        await AssertCsrfRefusedAsync(await CookiePostAsync(path, signedIn.RefreshToken, origin: origin));

        await AssertSessionUntouchedAsync(signedIn);
    }

    [Theory]
    [InlineData("/auth/refresh", "https://evil.test/page")]
    [InlineData("/auth/refresh", "https://app.test@evil.test/")]
    [InlineData("/auth/logout", "https://evil.test/?next=https://app.test/")]
    [InlineData("/auth/logout", "http://app.test/")]
    public async Task WithAForeignReferer_AndNoOrigin_IsCsrfFailed(string path, string referer)
    {
        var signedIn = await client.SignupAndSigninAsync();

        await AssertCsrfRefusedAsync(await CookiePostAsync(path, signedIn.RefreshToken, referer: referer));

        await AssertSessionUntouchedAsync(signedIn);
    }

    [Fact]
    public async Task XCsrfToken_IsAcceptedInPlaceOfXRequestedWith_AndPreflightAllowsIt()
    {
        var signedIn = await client.SignupAndSigninAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/refresh");
        request.Headers.Add("Cookie", $"{AuthClient.CookieName}={signedIn.RefreshToken}");
        request.Headers.Add("X-CSRF-Token", "1");
        request.Headers.TryAddWithoutValidation("Origin", Allowed);
        var refresh = await client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.NotNull(AuthClient.RefreshCookieValue(refresh));

        // A blank value is no custom header at all.
        var blank = new HttpRequestMessage(HttpMethod.Post, "/auth/refresh");
        blank.Headers.Add("Cookie", $"{AuthClient.CookieName}={AuthClient.RefreshCookieValue(refresh)}");
        blank.Headers.TryAddWithoutValidation("X-CSRF-Token", " ");
        await AssertCsrfRefusedAsync(await client.Http.SendAsync(blank));

        var preflight = Preflight("/auth/refresh", Allowed);
        preflight.Headers.Remove("Access-Control-Request-Headers");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-csrf-token");
        var allowed = await client.Http.SendAsync(preflight);
        Assert.Contains("x-csrf-token", AbuseKit.Header(allowed, "Access-Control-Allow-Headers"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task FromTheAllowedOrigin_RefreshAndLogoutWork()
    {
        var signedIn = await client.SignupAndSigninAsync();

        var refresh = await CookiePostAsync("/auth/refresh", signedIn.RefreshToken, origin: Allowed);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        Assert.Equal(Allowed, AbuseKit.Header(refresh, "Access-Control-Allow-Origin"));
        Assert.Equal("true", AbuseKit.Header(refresh, "Access-Control-Allow-Credentials"));
        var rotated = AuthClient.RefreshCookieValue(refresh)!;

        var viaReferer = await CookiePostAsync("/auth/refresh", rotated, referer: Allowed + "/account/settings");
        Assert.Equal(HttpStatusCode.OK, viaReferer.StatusCode);
        var newest = AuthClient.RefreshCookieValue(viaReferer)!;

        var logout = await CookiePostAsync("/auth/logout", newest, origin: Allowed + "/");
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(newest), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    private HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-requested-with");
        return request;
    }

    [Theory]
    [InlineData("/auth/refresh")]
    [InlineData("/auth/logout")]
    [InlineData("/auth/signin")]
    public async Task Preflight_FromTheAllowedOrigin_AllowsCredentialsAndTheHeader(string path)
    {
        var response = await client.Http.SendAsync(Preflight(path, Allowed));

        Assert.True(response.IsSuccessStatusCode, $"preflight answered {(int)response.StatusCode}");
        Assert.Equal(Allowed, AbuseKit.Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", AbuseKit.Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains("x-requested-with", AbuseKit.Header(response, "Access-Control-Allow-Headers"), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("POST", AbuseKit.Header(response, "Access-Control-Allow-Methods"));
    }

    [Theory]
    [InlineData("https://evil.test")]
    [InlineData("null")]
    [InlineData("https://app.test.evil.test")]
    [InlineData("http://app.test")]
    public async Task Preflight_FromAnotherOrigin_GetsNoCorsHeaders(string origin)
    {
        var preflight = await client.Http.SendAsync(Preflight("/auth/refresh", origin));
        var signedIn = await client.SignupAndSigninAsync();
        var actual = await CookiePostAsync("/auth/refresh", signedIn.RefreshToken, origin: origin);

        foreach (var response in new[] { preflight, actual })
        {
            var cors = response.Headers.Where(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).Select(h => h.Key).ToList();
            Assert.True(cors.Count == 0, $"{response.RequestMessage!.Method} from {origin} got {string.Join(", ", cors)}");
        }
    }

    /// <summary>A spread of answers: success, JSON errors, framework errors, static files, preflights.</summary>
    private async Task<List<HttpResponseMessage>> VariedResponsesAsync(HttpClient http)
    {
        var responses = new List<HttpResponseMessage>
        {
            await http.GetAsync("/healthz"),
            await http.GetAsync("/readyz"),
            await http.GetAsync("/.well-known/jwks.json"),
            await http.GetAsync("/.well-known/openid-configuration"),
            await http.GetAsync("/no/such/route"),
            await http.GetAsync("/auth/me"),
            await http.DeleteAsync("/auth/signin"), // 405
            await http.PostAsync("/auth/signin", new StringContent("{not json", Encoding.UTF8, "application/json")),
            await http.PostAsync("/auth/signin", new StringContent("email=a", Encoding.UTF8, "application/x-www-form-urlencoded")),
            await http.PostAsync("/auth/signup", new StringContent(new string('x', 20_000), Encoding.UTF8, "application/json")), // 413
            await http.PostAsync("/auth/signin", JsonBody(new { email = AuthClient.NewEmail(), password = "wrong password, long enough" })),
            await http.PostAsync("/auth/refresh", null),
            await http.SendAsync(Preflight("/auth/refresh", Allowed)),
            await http.GetAsync("/demo/"),
            await http.GetAsync("/openapi/v1.json"),
        };
        var signin = await new AuthClient(fixture.Factory).SignupAndSigninAsync();
        var withCookie = new HttpRequestMessage(HttpMethod.Post, "/auth/refresh");
        withCookie.Headers.Add("Cookie", $"{AuthClient.CookieName}={signin.RefreshToken}");
        withCookie.Headers.Add("X-Requested-With", "XMLHttpRequest");
        responses.Add(await http.SendAsync(withCookie));
        return responses;
    }

    private static StringContent JsonBody(object value) => new(AbuseKit.Body(value), Encoding.UTF8, "application/json");

    [Fact]
    public async Task SecurityHeaders_OnEveryResponse_NoHstsOverHttp()
    {
        using var http = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var responses = await VariedResponsesAsync(http);

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.MethodNotAllowed);
        foreach (var response in responses)
        {
            SecurityHeaderAssert.Present(response);
            Assert.Empty(AbuseKit.Header(response, "Strict-Transport-Security"));
        }
    }

    [Fact]
    public async Task SecurityHeaders_OverHttps_IncludeHsts()
    {
        using var https = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = false,
        });

        var responses = await VariedResponsesAsync(https);

        foreach (var response in responses)
        {
            SecurityHeaderAssert.Present(response);
            var hsts = AbuseKit.Header(response, "Strict-Transport-Security");
            Assert.True(hsts.Contains("max-age=") && hsts.Contains("includeSubDomains"),
                $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri} -> {(int)response.StatusCode}: HSTS '{hsts}'");
        }
    }

    [Fact]
    public async Task TokenResponses_AreNotCacheable()
    {
        var email = await client.CreateVerifiedUserAsync();
        var signin = await client.SigninRawAsync(email);
        var refresh = await client.RefreshAsync(AuthClient.RefreshCookieValue(signin));

        foreach (var response in new[] { signin, refresh })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{response.RequestMessage!.RequestUri}: Cache-Control '{response.Headers.CacheControl}'");
        }
    }
}
