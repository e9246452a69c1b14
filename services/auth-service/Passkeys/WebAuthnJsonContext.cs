using System.Text.Json.Serialization;
using Fido2NetLib;

namespace AuthService.Passkeys;

/// <summary>
/// Build-time serializer metadata for the browser's credentials (<see cref="WebAuthnJson"/>), with the serializer's
/// plain defaults: Fido2's types name their members and convert their base64url binary members themselves.
/// </summary>
[JsonSerializable(typeof(AuthenticatorAttestationRawResponse))]
[JsonSerializable(typeof(AuthenticatorAssertionRawResponse))]
internal sealed partial class WebAuthnJsonContext : JsonSerializerContext;
