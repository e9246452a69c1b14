using System.Text.Json;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Tokens;

/// <summary>The OpenID discovery document, rendered once per app from <c>Auth:Issuer</c> (a singleton).</summary>
internal sealed class DiscoveryDocument(IOptions<AuthOptions> options)
{
    private readonly Lazy<byte[]> bytes = new(() => Render(options.Value.Issuer));

    public byte[] Bytes => bytes.Value;

    private static byte[] Render(string issuer)
    {
        var baseUrl = issuer.TrimEnd('/');
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["jwks_uri"] = baseUrl + WellKnownEndpoints.JwksPath,
            ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "none" },
            ["subject_types_supported"] = new[] { "public" },
            ["response_types_supported"] = new[] { "token" },
            ["claims_supported"] = new[] { "iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "email", "email_verified" },
        });
    }
}
