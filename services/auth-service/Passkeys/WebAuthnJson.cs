using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fido2NetLib;

namespace AuthService.Passkeys;

/// <summary>
/// Reads the browser's <c>PublicKeyCredential</c> JSON (what <c>toJSON()</c> gives: base64url binary members) into Fido2's
/// types. Anything that does not read is null, never an exception: a hostile body is a refused credential.
/// </summary>
internal static class WebAuthnJson
{
    public static AuthenticatorAttestationRawResponse? Attestation(JsonElement credential) =>
        Read(credential, WebAuthnJsonContext.Default.AuthenticatorAttestationRawResponse) is { Response: { AttestationObject: { Length: > 0 }, ClientDataJson: { Length: > 0 } } } r
            && r.RawId is { Length: > 0 } ? r : null;

    public static AuthenticatorAssertionRawResponse? Assertion(JsonElement credential) =>
        Read(credential, WebAuthnJsonContext.Default.AuthenticatorAssertionRawResponse) is { Response: { AuthenticatorData: { Length: > 0 }, Signature: { Length: > 0 }, ClientDataJson: { Length: > 0 } } } r
            && r.RawId is { Length: > 0 } ? r : null;

    /// <summary>The <c>challenge</c> member of clientDataJSON (base64url, as the options carried it), or null.</summary>
    public static string? Challenge(byte[] clientDataJson)
    {
        try
        {
            using var document = JsonDocument.Parse(clientDataJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("challenge", out var challenge) && challenge.ValueKind == JsonValueKind.String
                   && challenge.GetString() is { Length: > 0 and <= 128 } text && Base64Url.IsValid(text) ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static T? Read<T>(JsonElement credential, JsonTypeInfo<T> typeInfo) where T : class
    {
        if (credential.ValueKind != JsonValueKind.Object) return null;
        try
        {
            return credential.Deserialize(typeInfo);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }
}
