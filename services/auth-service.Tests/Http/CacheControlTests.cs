using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>
/// Answers carry tokens and account data, so none may be stored by a browser or a proxy: every answer
/// of every mapped route says <c>Cache-Control: no-store</c>, success or error, signed in or not;
/// only the public key material (JWKS, discovery) chooses <c>public, max-age</c> itself.
/// </summary>
public sealed class CacheControlTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private static readonly HashSet<string> PublicCacheable = ["GetJwks", "GetDiscoveryDocument"];

    [Fact]
    public async Task EveryMappedRoute_AnswersNoStore_UnlessItIsPublicKeyMaterial()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var routes = EndpointWalk.Routes(fixture.Factory);
        Assert.True(routes.Count >= 15, $"only {routes.Count} routes found: {string.Join(", ", routes)}");

        var failures = new List<string>();
        foreach (var route in routes)
        {
            // Once anonymous (mostly errors), once with a live bearer token and refresh cookie of a fresh session.
            foreach (var signedIn in new[] { null, await client.SigninAsync(email) })
            {
                var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
                if (route.Method is "POST" or "PATCH" or "PUT") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                if (signedIn is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signedIn.AccessToken);
                    request.Headers.Add("Cookie", $"{AuthClient.CookieName}={signedIn.RefreshToken}");
                    request.Headers.Add("X-Requested-With", "XMLHttpRequest");
                }
                var response = await client.Http.SendAsync(request);
                var cacheControl = response.Headers.CacheControl;
                var ok = PublicCacheable.Contains(route.Name ?? "") && response.IsSuccessStatusCode
                    ? cacheControl is { Public: true, MaxAge: not null, NoStore: false }
                    : cacheControl is { NoStore: true, Public: false };
                if (!ok) failures.Add($"{route} ({(signedIn is null ? "anonymous" : "signed in")}) -> {(int)response.StatusCode}, Cache-Control: {cacheControl?.ToString() ?? "(none)"}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task TokenAndAccountAnswers_AnswerNoStore()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail();
        (await client.SignupAsync(email)).EnsureSuccessStatusCode();
        var verify = await client.PostJsonAsync("/auth/verify-email", new { token = await client.TokenFromEmailAsync(email) });
        var signin = await client.SigninRawAsync(email);
        var signedIn = await AuthClient.ReadSignedInAsync(signin);
        var refresh = await client.RefreshAsync(signedIn.RefreshToken);
        var me = await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken);
        var patch = await client.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", signedIn.AccessToken, new { displayName = "Ada" });
        var sessions = await client.GetWithBearerAsync("/auth/sessions", signedIn.AccessToken);
        var wrongPassword = await client.SigninRawAsync(email, "not the password at all 123");

        foreach (var (name, response, status) in new[]
        {
            ("verify-email", verify, HttpStatusCode.OK), ("signin", signin, HttpStatusCode.OK), ("refresh", refresh, HttpStatusCode.OK),
            ("GET /auth/me", me, HttpStatusCode.OK), ("PATCH /auth/me", patch, HttpStatusCode.OK), ("sessions", sessions, HttpStatusCode.OK),
            ("failed signin", wrongPassword, HttpStatusCode.Unauthorized),
        })
        {
            Assert.True(response.StatusCode == status, $"{name}: {(int)response.StatusCode}");
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{name}: Cache-Control {response.Headers.CacheControl}");
        }
    }
}
