using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>Health probes, the OpenAPI document, and the dev mailbox switch.</summary>
public sealed class HealthAndOpenApiTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private HttpClient Http => fixture.NewClient().Http;

    [Fact]
    public async Task Healthz_Returns200()
    {
        var response = await Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_OnceStarted_Returns200()
    {
        var response = await Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_WhenTheDatabaseIsUnreachable_Returns503ButHealthzIs200()
    {
        // Nothing listens on port 1: the service keeps waiting for its database.
        await using var factory = new AuthServiceFactory("Host=127.0.0.1;Port=1;Database=unreachable;Timeout=1");
        var http = factory.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        var ready = await http.GetAsync("/readyz");
        await ContractAssert.IsContractProblemAsync(ready, HttpStatusCode.ServiceUnavailable, "service_unavailable");
        Assert.NotNull(ready.Headers.RetryAfter);
    }

    [Fact]
    public async Task OpenApi_DocumentsTheContractEndpoints()
    {
        var response = await Http.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("paths");
        Assert.True(paths.GetProperty("/auth/signin").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/auth/refresh").TryGetProperty("post", out _));
        Assert.True(paths.GetProperty("/auth/me").TryGetProperty("get", out _));
        Assert.True(paths.GetProperty("/.well-known/jwks.json").TryGetProperty("get", out _));
    }

    [Fact]
    public async Task OpenApi_DocumentsEveryContractRoute_AndBearerOnlyWhereRequired()
    {
        var document = await Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        (string Path, string Method, bool Bearer)[] contract =
        [
            ("/auth/signup", "post", false), ("/auth/verify-email", "post", false), ("/auth/resend-verification", "post", false),
            ("/auth/signin", "post", false), ("/auth/refresh", "post", false), ("/auth/logout", "post", false),
            ("/auth/logout-all", "post", true), ("/auth/me", "get", true), ("/auth/me", "patch", true),
            ("/auth/password/forgot", "post", false), ("/auth/password/reset", "post", false), ("/auth/password/change", "post", true),
            ("/auth/sessions", "get", true), ("/auth/sessions/{id}", "delete", true),
            ("/.well-known/jwks.json", "get", false), ("/.well-known/openid-configuration", "get", false),
            ("/healthz", "get", false), ("/readyz", "get", false), ("/dev/emails", "get", false),
        ];
        foreach (var (path, method, bearer) in contract)
        {
            var documented = paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _);
            Assert.True(documented, $"{method} {path} is not documented");
            var operation = item.GetProperty(method);
            var requiresBearer = operation.GetProperty("security").EnumerateArray().Any(r => r.TryGetProperty("Bearer", out _)); // public: security: []
            Assert.True(bearer == requiresBearer, $"{method} {path}: bearer requirement should be {bearer}");
        }
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task DevEmails_WhenEnabled_Returns200()
    {
        var response = await Http.GetAsync("/dev/emails?to=nobody@example.com");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await response.Content.ReadFromJsonAsync<JsonElement>()).ValueKind);
    }

    [Fact]
    public async Task DevEmails_WhenDisabled_Returns404NotFound()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?> { ["DevEndpoints:Enabled"] = "false" });
        var client = new AuthClient(factory);
        var email = AuthClient.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        var response = await client.Http.GetAsync($"/dev/emails?to={Uri.EscapeDataString(email)}");

        await ContractAssert.IsContractProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain("verify-email", await response.Content.ReadAsStringAsync());
    }
}
