using System.Security.Cryptography;
using System.Text;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Tokens;

/// <summary>
/// Keys derived from <c>Auth:KeyEncryptionKey</c>, shared by every replica: the AES-GCM key that
/// wraps signing keys, and the HMAC key that derives each refresh token from its predecessor.
/// </summary>
public sealed class ServerSecrets
{
    // Development only, and announced at startup: never protects anything real.
    private static readonly byte[] DevelopmentKey = SHA256.HashData("auth-service development key-encryption key"u8);

    public ServerSecrets(IOptions<AuthOptions> options, ILogger<ServerSecrets> logger)
    {
        var configured = options.Value.KeyEncryptionKey;
        if (string.IsNullOrWhiteSpace(configured))
        {
            logger.LogWarning("Auth:KeyEncryptionKey is not set: using the fixed development key. Never do this outside Development.");
            KeyEncryptionKey = DevelopmentKey;
        }
        else
        {
            KeyEncryptionKey = Convert.FromBase64String(configured.Trim());
        }
        RefreshSuccessorKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, KeyEncryptionKey, 32, info: "refresh-token-successor"u8.ToArray());
    }

    public byte[] KeyEncryptionKey { get; }
    public byte[] RefreshSuccessorKey { get; }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[12 + plaintext.Length + 16];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(KeyEncryptionKey, 16);
        aes.Encrypt(nonce, plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return output;
    }

    public byte[] Decrypt(byte[] sealedBox, string associatedData)
    {
        var plaintext = new byte[sealedBox.Length - 28];
        using var aes = new AesGcm(KeyEncryptionKey, 16);
        aes.Decrypt(sealedBox.AsSpan(0, 12), sealedBox.AsSpan(12, plaintext.Length), sealedBox.AsSpan(12 + plaintext.Length), plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
