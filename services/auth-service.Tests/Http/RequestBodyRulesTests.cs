using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using AuthService.Http;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;

namespace AuthService.Tests.Http;

/// <summary>
/// Rules every JSON body obeys, checked on every endpoint that accepts one (found from the running
/// service, so a new endpoint is covered the day it is mapped): members the endpoint does not know
/// are refused and named, never silently dropped; a string that is not valid Unicode is a 400.
/// </summary>
public sealed class RequestBodyRulesTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private List<MappedRoute> JsonRoutes()
    {
        // /admin refuses a caller without the admin role before it reads a body (403); its body rules are tested with an
        // admin beside it (Import/UserImportEndpointTests).
        var routes = EndpointWalk.Routes(fixture.Factory)
            .Where(r => r.JsonBodyType is not null && !r.Path.StartsWith("/admin/", StringComparison.Ordinal)).ToList();
        Assert.True(routes.Count >= 8, $"only {routes.Count} JSON endpoints found: {string.Join(", ", routes)}");
        return routes;
    }

    private async Task<HttpResponseMessage> SendAsync(MappedRoute route, string json, string? accessToken)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (route.RequiresAuth) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await fixture.NewClient().Http.SendAsync(request);
    }

    [Fact]
    public async Task EveryJsonEndpoint_RefusesUnknownMembers_NamingEachOne()
    {
        var signedIn = await fixture.NewClient().SignupAndSigninAsync();
        var failures = new List<string>();
        foreach (var route in JsonRoutes())
        {
            var response = await SendAsync(route, """{"username":"bob","profile":{"displayName":"Bob"},"isAdmin":true}""", signedIn.AccessToken);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.BadRequest) { failures.Add($"{route}: {(int)response.StatusCode} {body}"); continue; }
            var problem = JsonSerializer.Deserialize<JsonElement>(body);
            if (problem.GetProperty("code").GetString() != "validation_failed") { failures.Add($"{route}: {body}"); continue; }
            foreach (var member in new[] { "username", "profile", "isAdmin" })
                if (!problem.GetProperty("errors").TryGetProperty(member, out var codes) || codes[0].GetString() != "unknown_member")
                    failures.Add($"{route}: {member} not named as unknown_member: {body}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Signup_WithAMisnamedMember_IsRefused_AndCreatesNoUser()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail();

        var response = await client.PostJsonAsync("/auth/signup", new { email, password = AuthClient.DefaultPassword, username = "Bob" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["unknown_member"], ProblemAssert.FieldErrors(problem, "username"));
        Assert.Empty(await client.EmailsAsync(email));
        // Known members in any case the web defaults accept still bind as before.
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/signup", new { Email = email, Password = AuthClient.DefaultPassword, DisplayName = "Bob" })).StatusCode);
    }

    [Fact]
    public async Task EveryJsonEndpoint_StringWithALoneSurrogate_IsA400_NeverA500()
    {
        // "\ud800" is valid JSON syntax but not Unicode; Npgsql would refuse it with a 500.
        var signedIn = await fixture.NewClient().SignupAndSigninAsync();
        var failures = new List<string>();
        foreach (var route in JsonRoutes())
        {
            var members = route.JsonBodyType!.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.PropertyType == typeof(string)).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToList();
            Assert.NotEmpty(members);
            foreach (var member in members)
                foreach (var value in new[] { "\\ud800", "a\\udc00b", "x\\ud83d@example.com" })
                {
                    var response = await SendAsync(route, $"{{\"{member}\":\"{value}\"}}", signedIn.AccessToken);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                        failures.Add($"{route} {member}={value}: {(int)response.StatusCode} {body}");
                }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private sealed record WithOpaqueMember(string? Name, JsonElement Credential) : JsonRequest;

    [Fact]
    public void AJsonElementMember_StaysOpaque_AndIsNotUnknown()
    {
        var json = """{"name":"key","credential":{"id":"abc","response":{"clientDataJSON":"e30","anything":[1,{"x":null}]}}}""";

        var request = JsonSerializer.Deserialize<WithOpaqueMember>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        Assert.Null(request.UnknownMembers);
        Assert.Equal("abc", request.Credential.GetProperty("id").GetString());
    }

    private sealed record PlainBody(string? Name);

    [Fact]
    public async Task ABodyTypeThatIsNotAJsonRequest_FailsWhenEndpointsAreBuilt()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapGroup("").RefuseUnknownMembers().MapPost("/plain", (PlainBody body) => body.Name);

        var error = Assert.Throws<InvalidOperationException>(() => ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).ToList());
        Assert.Contains(nameof(PlainBody), error.Message);
    }
}
