using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace AuthService.Shared;

/// <summary>
/// The service's own small HTML pages (GET / and the pages of the mailed links): one layout, one stylesheet
/// inline and allowed by its hash, no script at all. Forms may post only to this origin.
/// </summary>
public static class HtmlPage
{
    private const string Style = """
        body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1d232a}
        h1{font-size:1.6rem;margin-bottom:.25rem}small{color:#5b6670;font-weight:normal}
        li{margin:.5rem 0}a{color:#0b5cad}
        label{display:block;margin:1rem 0 .25rem;font-weight:600}
        input{display:block;width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
        input[aria-invalid=true]{border:2px solid #b3261e}
        button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit}
        .hint{color:#5b6670;font-size:.9rem;margin:.25rem 0}
        .error{color:#b3261e;margin:.25rem 0}
        .done{color:#1e6b34}
        [hidden]{display:none}
        """;

    /// <summary>
    /// The policy of every such page: its own style by hash, an empty data: icon (which spares the browser a
    /// /favicon.ico request that would end in a 404), forms to this origin only, nothing else.
    /// </summary>
    public static readonly string Policy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; " +
        "img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Encodes text for HTML content and attribute values.</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>The page, with <paramref name="body"/> as given (already encoded by the caller) and the page's policy.</summary>
    public static IResult Render(HttpContext http, string title, string body, int statusCode = StatusCodes.Status200OK)
    {
        http.Response.Headers.ContentSecurityPolicy = Policy;
        return TypedResults.Content(Html(title, body), "text/html; charset=utf-8", statusCode: statusCode);
    }

    private static string Html(string title, string body) => $"""
        <!doctype html>
        <html lang="en">
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>{Encode(title)}</title>
        <link rel="icon" href="data:,">
        <style>{Style}</style>
        <main>
        {body}
        </main>

        """;
}
