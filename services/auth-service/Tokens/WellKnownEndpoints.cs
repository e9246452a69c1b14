using AuthService.Options;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthService.Tokens;

/// <summary>JWKS and the discovery document: bytes pre-rendered; the JWKS with an ETag and <c>Auth:SigningKeys:JwksMaxAge</c>.</summary>
internal static class WellKnownEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";

    public static IEndpointRouteBuilder MapWellKnown(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/.well-known").WithTags("Discovery");
        group.MapGet("/jwks.json", Jwks).WithName("GetJwks")
            .Produces(200, contentType: "application/json").Produces(304);
        group.MapGet("/openid-configuration", Discovery).WithName("GetDiscoveryDocument")
            .Produces(200, contentType: "application/json");
        return app;
    }

    private static IResult Jwks(HttpContext http, SigningKeyRing ring, IOptions<AuthOptions> options)
    {
        var keys = ring.Current;
        var headers = http.Response.Headers;
        headers.CacheControl = $"public, max-age={(int)options.Value.SigningKeys.JwksMaxAge.TotalSeconds}";
        headers.ETag = keys.JwksETag;
        var ifNoneMatch = http.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag == keys.JwksETag))
            return TypedResults.StatusCode(304);
        return TypedResults.Bytes(keys.JwksJson, "application/json; charset=utf-8");
    }

    private static IResult Discovery(HttpContext http, DiscoveryDocument document)
    {
        http.Response.Headers[HeaderNames.CacheControl] = "public, max-age=3600";
        return TypedResults.Bytes(document.Bytes, "application/json; charset=utf-8");
    }
}
