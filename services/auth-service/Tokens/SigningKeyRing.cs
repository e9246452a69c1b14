using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

/// <summary>
/// The in-memory view of the signing keys: private keys decrypted once when the keys change
/// (never per request), the JWKS document and its ETag pre-rendered. Readers take one immutable
/// snapshot. Which key signs is decided at signing time from the keys' schedule, so every replica
/// switches to a rotated key at the same instant, without waiting for its next reload.
/// </summary>
internal sealed class SigningKeyRing(SigningKeyStore store, ServerSecrets secrets, TimeProvider clock, ILogger<SigningKeyRing> logger)
{
    private KeySet? current;

    public KeySet Current => current ?? throw new InvalidOperationException("Signing keys are not loaded yet.");

    public async Task ReloadAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        Load(await store.LoadPublishedAsync(now, ct), now);
    }

    /// <summary>Swaps in the keys published at <paramref name="now"/>; a no-op when nothing changed.</summary>
    internal void Load(IReadOnlyList<StoredSigningKey> stored, DateTimeOffset now)
    {
        var previous = current;
        var fingerprint = string.Join(",", stored.Select(k => $"{k.Kid}:{k.NotBefore:O}:{k.RetireAt:O}:{k.ExpiresAt:O}"));
        if (previous?.Fingerprint == fingerprint) return;
        current = Build(stored, now, fingerprint, previous);
        logger.LogInformation("Signing keys loaded: {Kids} published, {Signing} signs now",
            string.Join(", ", current.ValidationKeys.Keys), current.SignerAt(now).Kid);
    }

    private KeySet Build(IReadOnlyList<StoredSigningKey> stored, DateTimeOffset now, string fingerprint, KeySet? previous)
    {
        var validation = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in stored)
        {
            // Reuse key objects across reloads: IdentityModel caches crypto providers per key instance.
            validation[key.Kid] = previous?.ValidationKeys.TryGetValue(key.Kid, out var known) == true ? known : PublicKey(key);
        }

        // Only keys that sign now or later need their private half in memory.
        var signers = stored.Where(k => k.RetireAt is null || k.RetireAt > now)
            .Select(k => new Signer(k.Kid, k.NotBefore, k.RetireAt,
                previous?.Signers.FirstOrDefault(s => s.Kid == k.Kid)?.Credentials ?? PrivateKey(k)))
            .OrderBy(s => s.NotBefore)
            .ToList();

        var jwks = Jwks(stored);
        var etag = "\"" + Base64Url.EncodeToString(SHA256.HashData(jwks).AsSpan(0, 16)) + "\"";
        return new KeySet(signers, validation, jwks, etag, fingerprint);
    }

    /// <summary>
    /// The JWKS document, compact (jsonb hands each JWK back reformatted). Written with the JSON writer, not the
    /// serializer: this runs on the way to ready, where the serializer would build its metadata by reflection.
    /// </summary>
    private static byte[] Jwks(IReadOnlyList<StoredSigningKey> stored)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in stored)
            {
                using var jwk = JsonDocument.Parse(key.PublicJwk);
                jwk.RootElement.WriteTo(writer);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static ECDsaSecurityKey PublicKey(StoredSigningKey key)
    {
        using var jwk = JsonDocument.Parse(key.PublicJwk);
        var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("x").GetString()),
                Y = Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("y").GetString()),
            },
        });
        return new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid };
    }

    private SigningCredentials PrivateKey(StoredSigningKey key)
    {
        var pkcs8 = secrets.Open(key.PrivateKey, key.KekId, key.Kid);
        try
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid }, SecurityAlgorithms.EcdsaSha256);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
