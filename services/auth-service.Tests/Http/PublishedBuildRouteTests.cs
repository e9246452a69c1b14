using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthService.Tests.Abuse;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Mfa;
using AuthService.Tests.Passwords;

namespace AuthService.Tests.Http;

/// <summary>
/// Every mapped route on the published executable. It is Native AOT: trimmed, no code generated at run
/// time, JSON only from metadata compiled in. The in-memory suite runs the same code under the JIT,
/// which forgives what AOT does not, so each route is called here too: anonymous, and signed in as an
/// admin with a refresh cookie, with an empty, a malformed and a mistyped JSON body, and with the raw
/// hostile headers and requests of <see cref="RawSocketFuzzTests"/>. No answer may be a 5xx, every
/// error is problem+json with a code, and every JSON success body parses.
/// </summary>
[Trait("Category", PublishedService.Category)]
public sealed class PublishedBuildRouteTests(PublishedServiceFixture published, AuthServiceFixture memory)
    : IClassFixture<PublishedServiceFixture>, IClassFixture<AuthServiceFixture>
{
    private static readonly string?[] Bodies = ["{}", "{\"email\":", """{"email":5,"password":[],"token":{},"code":true,"displayName":null}"""];

    [Fact]
    public async Task EveryRoute_AnonymousAndAsAdmin_AnswersWithoutServerErrors()
    {
        var routes = EndpointWalk.Routes(memory.Factory);
        Assert.True(routes.Count >= 40, $"only {routes.Count} routes found");
        var email = await AuthClient.CreateVerifiedUserAsync(published.Http);
        var grant = await PublishedService.RunUntilExitAsync(
            PublishedService.ProductionEnvironment(published.ConnectionString, FreePort.Next()), TimeSpan.FromSeconds(60), "grant-role", email, "admin");
        Assert.True(grant.ExitCode == 0, grant.Output);

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        foreach (var route in routes)
        {
            // A fresh session per route: a route may sign it out.
            var session = await SigninAsync(email);
            foreach (var signedIn in new[] { null, session })
                foreach (var body in route.Method is "POST" or "PATCH" or "PUT" or "DELETE" ? Bodies : [(string?)null])
                {
                    using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
                    if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    request.Headers.Add("X-Requested-With", "XMLHttpRequest");
                    if (signedIn is not null)
                    {
                        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", signedIn.AccessToken);
                        request.Headers.Add("Cookie", $"{AuthClient.CookieName}={signedIn.RefreshToken}");
                    }
                    using var response = await published.Http.SendAsync(request);
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    var problem = Check(response.Content.Headers.ContentType?.MediaType, status, await response.Content.ReadAsStringAsync());
                    if (problem is not null)
                        failures.Add($"{route} ({(signedIn is null ? "anonymous" : "admin")}, body {body ?? "none"}) -> {problem}");
                }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} answers misbehaved (statuses {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}):\n"
                                          + string.Join("\n", failures.Take(20)) + "\n--- service output ---\n" + Tail(published.Service.Output));
        Assert.True(statuses.Keys.Any(s => s is >= 200 and < 300), "no route answered with success");
    }

    [Fact]
    public Task HostileHeaders_OnEveryRoute_NeverGet5xx() =>
        RawSocketFuzzTests.AssertHostileHeadersNeverGet5xxAsync(EndpointWalk.Routes(memory.Factory), published.Service.BaseAddress);

    [Theory]
    [MemberData(nameof(RawSocketFuzzTests.RawRequests), MemberType = typeof(RawSocketFuzzTests))]
    public Task RawHostileRequest_NeverGets5xx(string name, string raw) =>
        RawSocketFuzzTests.AssertRawRequestNeverGets5xxAsync(published.Service.BaseAddress, name, raw);

    [Fact]
    public async Task Cors_OnThePublishedExecutable_AnswersTheConfiguredOriginOnly()
    {
        // The CORS middleware is wired by hand (HttpPipeline.UseCorsWithoutReflection), which only the executable's
        // trimmed, reflection-free build can prove works: an instance of its own (its own database and key-encryption key)
        // with an SPA origin.
        const string allowed = "https://app.test";
        await using var service = await PublishedService.StartAsync(await (await PostgresServer.GetAsync()).CreateDatabaseAsync(),
            new Dictionary<string, string> { ["Auth__AllowedOrigins__0"] = allowed });
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var fromApp = await http.SendAsync(RefreshPreflight(allowed));
        Assert.True(fromApp.IsSuccessStatusCode, $"preflight answered {(int)fromApp.StatusCode}");
        Assert.Equal(allowed, AbuseKit.Header(fromApp, "Access-Control-Allow-Origin"));
        Assert.Equal("true", AbuseKit.Header(fromApp, "Access-Control-Allow-Credentials"));
        Assert.Contains("x-requested-with", AbuseKit.Header(fromApp, "Access-Control-Allow-Headers"), StringComparison.OrdinalIgnoreCase);

        using var fromElsewhere = await http.SendAsync(RefreshPreflight("https://evil.test"));
        Assert.DoesNotContain(fromElsewhere.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    private static HttpRequestMessage RefreshPreflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/auth/refresh");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-requested-with");
        return request;
    }

    [Fact]
    public async Task SecondFactorJourney_OnThePublishedExecutable()
    {
        // TOTP on, signin with a code, new recovery codes, export: the bodies the route walk's
        // empty requests never reach.
        var email = await AuthClient.CreateVerifiedUserAsync(published.Http);
        var session = await SigninAsync(email);
        var setup = await SendAsync(HttpMethod.Post, "/auth/mfa/totp/setup", session.AccessToken);
        Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
        var setupBody = await setup.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("<svg", setupBody.GetProperty("qrSvg").GetString(), StringComparison.Ordinal);
        var secret = Rfc6238.Base32Decode(setupBody.GetProperty("secret").GetString()!);
        var confirm = await SendAsync(HttpMethod.Post, "/auth/mfa/totp/confirm", session.AccessToken,
            new { code = Rfc6238.Code(secret, DateTimeOffset.UtcNow) });
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Equal(10, (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").GetArrayLength());

        var first = await published.Http.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword });
        var mfaToken = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mfaToken").GetString();
        // The confirmation's step is spent; the next step's code is later and inside the ±1 step window.
        var recovery = await SendAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", session.AccessToken,
            new { code = Rfc6238.Code(secret, DateTimeOffset.UtcNow.AddSeconds(Rfc6238.StepSeconds)) });
        Assert.Equal(HttpStatusCode.OK, recovery.StatusCode);
        var recoveryCode = (await recovery.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes")[0].GetString();
        var second = await published.Http.PostAsJsonAsync("/auth/signin/mfa", new { mfaToken, recoveryCode });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var accessToken = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        Assert.Contains("mfa", Encoding.UTF8.GetString(Base64Url(accessToken.Split('.')[1])), StringComparison.Ordinal);

        var export = await SendAsync(HttpMethod.Get, "/auth/me/export", session.AccessToken);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var exported = await export.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(email, exported.GetProperty("profile").GetProperty("email").GetString());
        Assert.Contains(exported.GetProperty("auditEvents").EnumerateArray(), e => e.GetProperty("kind").GetString() == "totp_enabled");
    }

    private async Task<SignedIn> SigninAsync(string email)
    {
        var response = await published.Http.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await AuthClient.ReadSignedInAsync(response);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string accessToken, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        if (body is not null) request.Content = JsonContent.Create(body);
        return published.Http.SendAsync(request);
    }

    /// <summary>What is wrong with one answer, or null.</summary>
    private static string? Check(string? mediaType, int status, string body)
    {
        if (status >= 500) return $"{status} {Excerpt(body)}";
        if (body.Length == 0) return null;
        if (status >= 400)
        {
            if (mediaType != "application/problem+json") return $"{status} as {mediaType}: {Excerpt(body)}";
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("code", out var code) && code.GetString() is { Length: > 0 } ? null : $"{status} problem without a code";
        }
        if (mediaType is not ("application/json" or "application/problem+json")) return null;
        try
        {
            JsonDocument.Parse(body).Dispose();
            return null;
        }
        catch (JsonException e)
        {
            return $"{status} JSON that does not parse ({e.Message}): {Excerpt(body)}";
        }
    }

    private static string Excerpt(string body) => body.Length > 300 ? body[..300] : body;

    private static string Tail(string output) => output.Length > 4000 ? output[^4000..] : output;

    private static byte[] Base64Url(string s) =>
        Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/') + new string('=', (4 - s.Length % 4) % 4));
}
