using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Tests.Http;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AuthService.Tests.Docs;

/// <summary>
/// GET / (HTML or JSON, its own style allowed by hash), the reference at /docs (off unless enabled; served from the
/// app with a policy naming exactly its inline script), and the strict policy everywhere else.
/// </summary>
public sealed partial class RootAndDocsPageTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private HttpClient Http => fixture.NewClient().Http;

    private static string Hash(string text) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)))}'";

    private static string Csp(HttpResponseMessage response) => string.Join(", ", response.Headers.GetValues("Content-Security-Policy"));

    [Fact]
    public async Task Root_AnswersAPageLinkingTheDocuments_WithAPolicyAllowingOnlyItsOwnStyle()
    {
        var response = await Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/.well-known/openid-configuration\"", html);
        Assert.Contains("href=\"/openapi/v1.json\"", html);
        Assert.Contains("href=\"/demo/\"", html); // the test host has DevEndpoints:Enabled
        Assert.DoesNotContain("href=\"/docs\"", html); // Docs:Enabled is off outside Development by default
        var style = StyleBlock().Match(html).Groups["css"].Value;
        Assert.NotEmpty(style);
        Assert.Equal($"default-src 'none'; style-src {Hash(style)}; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            Csp(response));
        Assert.Contains("Accept", response.Headers.Vary);
    }

    [Fact]
    public async Task Root_WithAcceptJson_AnswersTheLinksAsJson()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var response = await Http.SendAsync(request);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var links = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("auth-service", links.GetProperty("service").GetString());
        Assert.Equal("/.well-known/openid-configuration", links.GetProperty("discovery").GetString());
        Assert.Equal("/openapi/v1.json", links.GetProperty("openApi").GetString());
        Assert.Equal("/demo/", links.GetProperty("demo").GetString());
        Assert.Equal(JsonValueKind.Null, links.GetProperty("docs").ValueKind);
        Assert.Equal(typeof(Program).Assembly.GetName().Version!.ToString(3), links.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Root_ForABrowser_IsThePage_AndCurlsDefaultToo()
    {
        var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        var curl = new HttpRequestMessage(HttpMethod.Get, "/");
        curl.Headers.TryAddWithoutValidation("Accept", "*/*");

        Assert.Equal("text/html", (await Http.SendAsync(browser)).Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/html", (await Http.SendAsync(curl)).Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Docs_IsOffByDefaultOutsideDevelopment()
    {
        foreach (var path in new[] { "/docs", "/docs/", "/docs/scalar.js" })
            await ContractAssert.IsContractProblemAsync(await Http.GetAsync(path), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Docs_WhenEnabled_ServesTheReferenceAndItsScriptFromTheApp_UnderAPolicyNamingItsInlineScript()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?> { ["Docs:Enabled"] = "true" });
        var http = new AuthClient(factory).Http;

        var page = await http.GetAsync("/docs/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var sources = ScriptSource().Matches(html).Select(m => m.Groups["src"].Value).ToList();
        Assert.Contains("scalar.js", sources);
        Assert.All(sources, src => Assert.DoesNotContain("//", src)); // no CDN: relative to /docs/
        foreach (var src in sources)
        {
            var script = await http.GetAsync("/docs/" + src);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }
        Assert.True((await http.GetByteArrayAsync("/docs/scalar.js")).Length > 1_000_000, "the whole bundle is served by the app");
        Assert.Contains("\"telemetry\":false", html);
        Assert.Contains("\"withDefaultFonts\":false", html); // the default fonts come from Scalar's CDN

        var csp = Csp(page);
        var inline = InlineScript().Matches(html).Select(m => Hash(m.Groups["body"].Value)).ToList();
        Assert.NotEmpty(inline);
        Assert.All(inline, hash => Assert.Contains(hash, csp));
        var scriptSrc = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src", StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe", scriptSrc);
        Assert.Contains("frame-ancestors 'none'", csp);

        // The reference's policy is for its page only.
        foreach (var path in new[] { "/healthz", "/openapi/v1.json", "/docs/no-such-asset.js", "/auth/signin" })
            Assert.Equal(HttpPipeline.StrictContentSecurityPolicy, Csp(await http.GetAsync(path)));
        var home = await http.GetStringAsync("/");
        Assert.Contains("href=\"/docs\"", home);
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Development", "false", false)]
    [InlineData("Production", null, false)]
    [InlineData("Production", "true", true)]
    public void DocsEnabled_DefaultsToTheEnvironment_AndTheSettingWins(string environment, string? setting, bool enabled)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        if (setting is not null) builder.Configuration["Docs:Enabled"] = setting;

        builder.AddApiDocs();

        using var services = builder.Services.BuildServiceProvider();
        Assert.Equal(enabled, services.GetRequiredService<IOptions<DocsOptions>>().Value.Enabled);
    }

    [GeneratedRegex(@"<style>(?<css>.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();

    [GeneratedRegex(@"<script[^>]*\ssrc=""(?<src>[^""]+)""")]
    private static partial Regex ScriptSource();

    [GeneratedRegex(@"<script(?![^>]*\ssrc=)[^>]*>(?<body>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
