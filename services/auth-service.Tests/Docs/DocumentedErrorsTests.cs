using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Docs;

/// <summary>
/// The reference against the service: every route gets the requests clients get wrong (no token, no CSRF header,
/// an empty or unknown-member body, not JSON, another media type, too large), and every problem it answers must be
/// documented for that operation with that status and code.
/// </summary>
public sealed class DocumentedErrorsTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task EveryProblemTheServiceAnswers_IsDocumentedForItsOperation()
    {
        var document = new ApiDocument(await client.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json"));
        var email = await client.CreateVerifiedUserAsync();
        var routes = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Template: "/" + e.RoutePattern.RawText!.Trim('/'),
                HasBody: e.Metadata.GetMetadata<IAcceptsMetadata>() is not null)))
            .ToList();
        Assert.True(routes.Count >= 20, $"only {routes.Count} routes");

        var observed = new List<string>();
        var undocumented = new List<string>();
        foreach (var (method, template, hasBody) in routes)
        {
            if (!document.TryOperation(template, method.ToLowerInvariant(), out var operation))
            {
                undocumented.Add($"{method} {template}: not in the document");
                continue;
            }
            var path = template.Replace("{id}", Guid.NewGuid().ToString());
            var bodies = hasBody
                ? new (string ContentType, string Body)[] { ("application/json", "{}"), ("application/json", "{\"unknownMember\": 1}"),
                    ("application/json", "not json"), ("text/plain", "{}"), ("application/json", $"{{\"email\": \"{new string('a', 17_000)}\"}}") }
                : [(null!, null!)];
            // Anonymous without and with the CSRF header, then signed in with it; invalid bodies change nothing, so one session per route.
            var session = await client.SigninAsync(email);
            var cases = from who in new[] { (SignedIn: false, Csrf: false), (SignedIn: false, Csrf: true), (SignedIn: true, Csrf: true) }
                        from b in bodies
                        select (who.SignedIn, who.Csrf, b.ContentType, b.Body);
            foreach (var (signedIn, csrfHeader, contentType, body) in cases)
            {
                var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
                if (signedIn)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.AccessToken);
                    request.Headers.Add("Cookie", $"{AuthClient.CookieName}={session.RefreshToken}");
                }
                if (csrfHeader) request.Headers.Add("X-Requested-With", "fetch");
                var response = await client.Http.SendAsync(request);
                var status = (int)response.StatusCode;
                if (status < 400) continue;
                var code = JsonSerializer.Deserialize<JsonElement>(await response.Content.ReadAsStringAsync()).GetProperty("code").GetString()!;
                observed.Add($"{method} {template} {status} {code}");
                if (!document.Documents(operation, status, code)) undocumented.Add($"{method} {template}: {status} {code}");
            }
        }

        Assert.True(undocumented.Count == 0, "answered but not documented:\n" + string.Join("\n", undocumented.Distinct()));
        // The sweep did reach each kind of refusal, so an empty list above means something.
        foreach (var expected in new[] { "401 unauthorized", "403 csrf_failed", "400 validation_failed", "400 malformed_request", "413 payload_too_large",
                     "415 unsupported_media_type", "401 refresh_token_missing", "404 not_found" })
            Assert.Contains(observed, o => o.EndsWith(expected, StringComparison.Ordinal));
    }
}
