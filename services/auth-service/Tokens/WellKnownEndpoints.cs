using AuthService.Docs;
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
            .Produces(200, contentType: "application/json").Produces(304)
            .WithSummary("Get the signing keys (JWKS)")
            .WithDescription("The public keys that validate access tokens, by `kid`. A new key is published " +
                "`Auth:SigningKeys:PublishLead` before it signs, and a retired one stays until its last token has expired, so a " +
                "validator that refetches on an unknown `kid` never misses one.")
            .WithResponseContent(200, "application/json", ApiDocumentTransformer.JwksSchema)
            .WithResponseDescription(200, "The key set.")
            .WithResponseHeader(200, "Cache-Control", "`public, max-age=<Auth:SigningKeys:JwksMaxAge in seconds>` (default 300).")
            .WithResponseHeader(200, "ETag", "The key set's version; send it back as `If-None-Match`.")
            .WithResponseDescription(304, "Not modified: `If-None-Match` names the current key set.")
            .WithRequestHeader("If-None-Match", "The `ETag` of a key set fetched before.");
        group.MapGet("/openid-configuration", Discovery).WithName("GetDiscoveryDocument")
            .Produces(200, contentType: "application/json")
            .WithSummary("Get the OpenID discovery document")
            .WithDescription("What a JwtBearer `Authority` reads: the issuer and where its keys are. Downstream services point at " +
                "`Auth:Issuer` and validate tokens offline.")
            .WithResponseContent(200, "application/json", ApiDocumentTransformer.DiscoverySchema)
            .WithResponseDescription(200, "The discovery document.")
            .WithResponseHeader(200, "Cache-Control", "`public, max-age=3600`.");
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
