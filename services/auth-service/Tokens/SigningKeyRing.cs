using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

/// <summary>
/// The in-memory view of the signing keys: decrypted once when the keys change (never per request),
/// with the JWKS document and its ETag pre-rendered. Readers take one immutable snapshot.
/// </summary>
public sealed class SigningKeyRing(SigningKeyStore store, ServerSecrets secrets, TimeProvider clock, ILogger<SigningKeyRing> logger)
{
    private KeySet? current;

    public KeySet Current => current ?? throw new InvalidOperationException("Signing keys are not loaded yet.");

    public bool IsLoaded => current is not null;

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
        if (previous is not null && previous.Fingerprint == fingerprint && previous.SigningKid == PickSigningKey(stored, now)?.Kid)
            return;
        current = Build(stored, now, fingerprint, previous);
        if (previous?.SigningKid != current.SigningKid)
            logger.LogInformation("Signing with key {Kid}; {Count} key(s) published", current.SigningKid, current.ValidationKeys.Count);
    }

    private static StoredSigningKey? PickSigningKey(IReadOnlyList<StoredSigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => k.NotBefore <= now && (k.RetireAt is null || k.RetireAt > now))
            .MaxBy(k => k.NotBefore);

    private KeySet Build(IReadOnlyList<StoredSigningKey> stored, DateTimeOffset now, string fingerprint, KeySet? previous)
    {
        var signing = PickSigningKey(stored, now)
            ?? throw new InvalidOperationException("No signing key is valid now.");

        var validation = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        foreach (var key in stored)
        {
            // Reuse key objects across reloads: IdentityModel caches crypto providers per key instance.
            if (previous?.ValidationKeys.TryGetValue(key.Kid, out var known) == true) { validation[key.Kid] = known; continue; }
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
            validation[key.Kid] = new ECDsaSecurityKey(ecdsa) { KeyId = key.Kid };
        }

        var credentials = previous?.SigningKid == signing.Kid ? previous.Signing : LoadPrivateKey(signing);
        // jsonb hands the JWK back reformatted; serve it compact.
        var jwks = JsonSerializer.SerializeToUtf8Bytes(new { keys = stored.Select(k => JsonSerializer.Deserialize<JsonElement>(k.PublicJwk)) });
        var etag = "\"" + Base64Url.EncodeToString(SHA256.HashData(jwks).AsSpan(0, 16)) + "\"";
        return new KeySet(credentials, signing.Kid, validation, jwks, etag, fingerprint);
    }

    private SigningCredentials LoadPrivateKey(StoredSigningKey key)
    {
        var pkcs8 = secrets.Decrypt(key.PrivateKey, key.Kid);
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

public sealed record KeySet(
    SigningCredentials Signing,
    string SigningKid,
    IReadOnlyDictionary<string, SecurityKey> ValidationKeys,
    byte[] JwksJson,
    string JwksETag,
    string Fingerprint);
