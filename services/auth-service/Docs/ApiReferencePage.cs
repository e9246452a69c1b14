using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;
using Scalar.AspNetCore;

namespace AuthService.Docs;

/// <summary>
/// The browsable reference (Scalar) at /docs. Everything it loads comes from this app: Scalar's script is
/// embedded in its package and served under /docs; the CDN fonts, telemetry, the AI agent, the toolbar and the
/// client button that lead to Scalar's cloud are off, so it works offline and sends nothing elsewhere.
/// </summary>
internal static partial class ApiReferencePage
{
    public const string Path = "/docs";

    /// <summary>
    /// The page's policy. Scalar's page starts it with inline scripts (allowed by their hashes, computed from the
    /// answer itself since one embeds the request path) and its components set inline styles. No eval.
    /// </summary>
    private static string Policy(string scriptHashes) =>
        $"default-src 'self'; script-src 'self' {scriptHashes}; style-src 'self' 'unsafe-inline'; " +
        "frame-ancestors 'none'; base-uri 'self'; form-action 'none'";

    public static IEndpointConventionBuilder MapApiReference(this IEndpointRouteBuilder app)
    {
        // The head script: Zod inside Scalar probes eval with Function('') unless jitless, and the policy refuses eval.
        var endpoints = app.MapScalarApiReference(Path, options => options
            .WithTitle("auth-service API reference")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .HideDeveloperTools()
            .HideClientButton() // it opens the document in Scalar's hosted client
            .AddHeadContent("<script>globalThis.__zod_globalConfig = { jitless: true };</script>"));
        // After the framework built each request delegate, so the wrapper sees the page exactly as it is sent.
        endpoints.Finally(endpoint =>
        {
            var page = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = http => ServeWithPolicyAsync(http, page);
        });
        return endpoints;
    }

    /// <summary>Pages (paths without a file extension) are buffered, their inline scripts hashed into the policy; assets pass through.</summary>
    private static async Task ServeWithPolicyAsync(HttpContext http, RequestDelegate page)
    {
        if (System.IO.Path.HasExtension(http.Request.Path.Value))
        {
            await page(http);
            return;
        }
        var body = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            await page(http);
        }
        finally
        {
            http.Response.Body = body;
        }
        if (http.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
            http.Response.Headers[HeaderNames.ContentSecurityPolicy] = PolicyFor(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        buffer.Position = 0;
        await buffer.CopyToAsync(body, http.RequestAborted);
    }

    /// <summary>The policy allowing exactly the inline scripts of <paramref name="html"/>.</summary>
    public static string PolicyFor(string html)
    {
        var hashes = InlineScript().Matches(html)
            .Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups["body"].Value)))}'");
        return Policy(string.Join(' ', hashes.Distinct()));
    }

    [GeneratedRegex(@"<script(?![^>]*\ssrc\s*=)[^>]*>(?<body>.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
