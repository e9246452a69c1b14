using System.Buffers;
using System.Text.Json;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Tokens;

/// <summary>
/// The OpenID discovery document, rendered once per app from <c>Auth:Issuer</c> (a singleton), with the JSON
/// writer: no serializer metadata built by reflection for one constant document.
/// </summary>
internal sealed class DiscoveryDocument(IOptions<AuthOptions> options)
{
    private readonly Lazy<byte[]> bytes = new(() => Render(options.Value.Issuer));

    public byte[] Bytes => bytes.Value;

    private static byte[] Render(string issuer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("issuer", issuer);
            writer.WriteString("jwks_uri", issuer.TrimEnd('/') + WellKnownEndpoints.JwksPath);
            WriteArray(writer, "id_token_signing_alg_values_supported", "ES256");
            WriteArray(writer, "token_endpoint_auth_methods_supported", "none");
            WriteArray(writer, "subject_types_supported", "public");
            WriteArray(writer, "response_types_supported", "token");
            WriteArray(writer, "claims_supported", "iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "email", "email_verified");
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, params ReadOnlySpan<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
