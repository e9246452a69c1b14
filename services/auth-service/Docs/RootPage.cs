using System.Globalization;
using System.Text;
using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthService.Docs;

/// <summary>GET /: a small page (or JSON for <c>Accept: application/json</c>) saying where to go: the reference, discovery, the demo.</summary>
internal static class RootPage
{
    public static IEndpointRouteBuilder MapRootPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).WithTags("Discovery").WithName("GetRoot")
            .WithSummary("Service home")
            .WithDescription("A small HTML page linking to the API reference (when `Docs:Enabled`), the OpenAPI document, the OpenID " +
                "discovery document and, where `DevEndpoints:Enabled`, the demo app. With `Accept: application/json` the same links as JSON.")
            .Produces<RootLinks>()
            .WithResponseContent(200, "text/html", schemaId: null)
            .WithResponseDescription(200, "The links, as an HTML page or (for `Accept: application/json`) as JSON.");
        return app;
    }

    private static IResult Root(HttpContext http, IOptions<DocsOptions> docs, IOptions<DevEndpointsOptions> dev)
    {
        var links = new RootLinks("auth-service", ApiDocumentTransformer.Version, "/.well-known/openid-configuration", "/openapi/v1.json",
            docs.Value.Enabled ? ApiReferencePage.Path : null, dev.Value.Enabled ? "/demo/" : null);
        http.Response.Headers.Vary = HeaderNames.Accept;
        return WantsJson(http.Request) ? TypedResults.Json(links, AuthJsonContext.Default.RootLinks) : HtmlPage.Render(http, "auth-service", Body(links));
    }

    /// <summary>JSON when the client ranks it above HTML (browsers list text/html first; curl's */* gets the page).</summary>
    private static bool WantsJson(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        double Quality(string type) => accept.Where(a => a.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase))
            .Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        return Quality("application/json") > Math.Max(Quality("text/html"), 0);
    }

    private static string Body(RootLinks links)
    {
        var items = new StringBuilder();
        void Item(string? href, string text, string about)
        {
            if (href is not null) items.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{HtmlPage.Encode(href)}\">{text}</a>: {about}</li>\n");
        }
        Item(links.Docs, "API reference", "every endpoint, its answers and error codes");
        Item(links.OpenApi, "OpenAPI document", "the same, as JSON for tools and client generators");
        Item(links.Discovery, "OpenID discovery document", "what a downstream service's JwtBearer <code>Authority</code> reads");
        Item(links.Demo, "Demo app", "sign up, verify, sign in and out in the browser (development only)");
        return $"""
            <h1>auth-service <small>{HtmlPage.Encode(links.Version)}</small></h1>
            <p>Email + password accounts, short-lived access tokens (JWT) and rotating refresh cookies.</p>
            <ul>
            {items}</ul>
            """;
    }
}
