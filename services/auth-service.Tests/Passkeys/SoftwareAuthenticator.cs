using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AuthService.Tests.Passkeys;

/// <summary>
/// A WebAuthn authenticator in software, as a browser and a platform authenticator would answer: one ES256 discoverable
/// credential, attestation "none", user present and verified, a signature counter. Every part a test may want to spoil
/// (origin, RP id, challenge, type, flags, counter, user handle) can be overridden per call.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private const byte UserPresent = 0x01, UserVerified = 0x04, AttestedData = 0x40;

    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public SoftwareAuthenticator(string rpId, string origin)
    {
        RpId = rpId;
        Origin = origin;
    }

    public string RpId { get; }
    public string Origin { get; }
    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);
    public byte[] UserHandle { get; private set; } = [];
    public uint Counter { get; set; }

    /// <summary>What <c>navigator.credentials.create(options)</c> gives, as <c>toJSON()</c>.</summary>
    public JsonObject Create(JsonElement options, string? origin = null, string? rpId = null, string type = "webauthn.create")
    {
        UserHandle = Base64Url.DecodeFromChars(options.GetProperty("user").GetProperty("id").GetString()!);
        var clientData = ClientData(type, options.GetProperty("challenge").GetString()!, origin ?? Origin);
        var authData = AuthenticatorData(rpId ?? RpId, UserPresent | UserVerified | AttestedData, Counter, AttestedCredentialData());
        var cbor = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cbor.WriteStartMap(3);
        cbor.WriteTextString("fmt");
        cbor.WriteTextString("none");
        cbor.WriteTextString("attStmt");
        cbor.WriteStartMap(0);
        cbor.WriteEndMap();
        cbor.WriteTextString("authData");
        cbor.WriteByteString(authData);
        cbor.WriteEndMap();
        return new JsonObject
        {
            ["id"] = B64(CredentialId), ["rawId"] = B64(CredentialId), ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["attestationObject"] = B64(cbor.Encode()), ["clientDataJSON"] = B64(clientData),
                ["transports"] = new JsonArray("internal"),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    /// <summary>What <c>navigator.credentials.get(options)</c> gives, as <c>toJSON()</c>; the counter moves on first.</summary>
    public JsonObject Get(JsonElement options, string? origin = null, string? rpId = null, string type = "webauthn.get", byte flags = UserPresent | UserVerified,
        byte[]? userHandle = null, string? challenge = null, bool countUp = true)
    {
        if (countUp) Counter++;
        var clientData = ClientData(type, challenge ?? options.GetProperty("challenge").GetString()!, origin ?? Origin);
        var authData = AuthenticatorData(rpId ?? RpId, flags, Counter, []);
        var signature = key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new JsonObject
        {
            ["id"] = B64(CredentialId), ["rawId"] = B64(CredentialId), ["type"] = "public-key",
            ["response"] = new JsonObject
            {
                ["authenticatorData"] = B64(authData), ["clientDataJSON"] = B64(clientData), ["signature"] = B64(signature),
                ["userHandle"] = B64(userHandle ?? UserHandle),
            },
            ["clientExtensionResults"] = new JsonObject(),
        };
    }

    public void Dispose() => key.Dispose();

    private static byte[] ClientData(string type, string challenge, string origin) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type, challenge, origin, crossOrigin = false }));

    private static byte[] AuthenticatorData(string rpId, byte flags, uint counter, byte[] attested)
    {
        var data = new byte[37 + attested.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId)).CopyTo(data, 0);
        data[32] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), counter);
        attested.CopyTo(data, 37);
        return data;
    }

    private byte[] AttestedCredentialData()
    {
        var point = key.ExportParameters(false).Q;
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1); cose.WriteInt32(2);   // kty: EC2
        cose.WriteInt32(3); cose.WriteInt32(-7);  // alg: ES256
        cose.WriteInt32(-1); cose.WriteInt32(1);  // crv: P-256
        cose.WriteInt32(-2); cose.WriteByteString(point.X!);
        cose.WriteInt32(-3); cose.WriteByteString(point.Y!);
        cose.WriteEndMap();
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)CredentialId.Length);
        return [.. new byte[16], .. length, .. CredentialId, .. cose.Encode()];
    }

    private static string B64(byte[] bytes) => Base64Url.EncodeToString(bytes);
}
