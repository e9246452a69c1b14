using System.Text.Json;
using AuthService.Options;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthService.Tokens;

/// <summary>JWKS and the discovery document: bytes pre-rendered, served with an ETag.</summary>
public static class WellKnownEndpoints
{
    public const string JwksPath = "/.well-known/jwks.json";

    /// <summary>Short enough that downstream caches see a new key well before it starts signing.</summary>
    public static readonly TimeSpan JwksMaxAge = TimeSpan.FromMinutes(5);

    public static IEndpointRouteBuilder MapWellKnown(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/.well-known").WithTags("Discovery");
        group.MapGet("/jwks.json", Jwks).WithName("GetJwks")
            .Produces(200, contentType: "application/json").Produces(304);
        group.MapGet("/openid-configuration", Discovery).WithName("GetDiscoveryDocument")
            .Produces(200, contentType: "application/json");
        return app;
    }

    private static IResult Jwks(HttpContext http, SigningKeyRing ring)
    {
        var keys = ring.Current;
        var headers = http.Response.Headers;
        headers.CacheControl = $"public, max-age={(int)JwksMaxAge.TotalSeconds}";
        headers.ETag = keys.JwksETag;
        var ifNoneMatch = http.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Tag == keys.JwksETag))
            return TypedResults.StatusCode(304);
        return TypedResults.Bytes(keys.JwksJson, "application/json; charset=utf-8");
    }

    private static IResult Discovery(HttpContext http, IOptions<AuthOptions> options)
    {
        http.Response.Headers[HeaderNames.CacheControl] = "public, max-age=3600";
        return TypedResults.Bytes(DiscoveryDocument.For(options.Value.Issuer), "application/json; charset=utf-8");
    }

    private static class DiscoveryDocument
    {
        private static (string Issuer, byte[] Bytes)? cached;

        public static byte[] For(string issuer)
        {
            if (cached is { } c && c.Issuer == issuer) return c.Bytes;
            var baseUrl = issuer.TrimEnd('/');
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["issuer"] = issuer,
                ["jwks_uri"] = baseUrl + JwksPath,
                ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
                ["token_endpoint_auth_methods_supported"] = new[] { "none" },
                ["subject_types_supported"] = new[] { "public" },
                ["response_types_supported"] = new[] { "token" },
                ["claims_supported"] = new[] { "iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "email", "email_verified" },
            });
            cached = (issuer, bytes);
            return bytes;
        }
    }
}
