using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Tokens;

/// <summary>
/// The key-encryption keys (<c>Auth:KeyEncryptionKeys</c>, or the single <c>Auth:KeyEncryptionKey</c> as id
/// <c>legacy</c>), shared by every replica. Secrets kept in the database (signing keys, <see cref="ServerSecretStore"/>)
/// are sealed with AES-GCM under the first and carry its id; every configured key opens them. So a new key can be
/// rolled out to every replica before it seals anything, and an old one stays until <c>rewrap-keys</c> has moved
/// everything off it.
/// </summary>
public sealed class ServerSecrets
{
    // Development only, and announced at startup: never protects anything real.
    private static readonly byte[] DevelopmentKey = SHA256.HashData("auth-service development key-encryption key"u8);

    private const int NonceSize = 12;
    private const int TagSize = 16;

    public ServerSecrets(IOptions<AuthOptions> options, ILogger<ServerSecrets> logger)
    {
        var configured = options.Value.ConfiguredKeyEncryptionKeys();
        if (configured.Count == 0)
        {
            logger.LogWarning("Auth:KeyEncryptionKeys is not set: using the fixed development key. Never do this outside Development.");
            Keys = [new KeyEncryptionKey(AuthOptions.LegacyKeyEncryptionKeyId, DevelopmentKey)];
        }
        else
        {
            Keys = configured.Select(k => new KeyEncryptionKey(k.Id, Convert.FromBase64String(k.Key.Trim()))).ToList();
        }
    }

    /// <summary>Newest first; the first seals.</summary>
    internal IReadOnlyList<KeyEncryptionKey> Keys { get; }

    /// <summary>The id of the key that seals new values.</summary>
    public string SealingKeyId => Keys[0].Id;

    public IEnumerable<string> KeyIds => Keys.Select(k => k.Id);

    /// <summary>Seals under the newest key; <paramref name="associatedData"/> binds the box to its row (a kid, a secret's name).</summary>
    public SealedValue Seal(ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var key = Keys[0];
        var box = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = box.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Key, TagSize);
        aes.Encrypt(nonce, plaintext, box.AsSpan(NonceSize, plaintext.Length), box.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return new SealedValue(box, key.Id);
    }

    /// <summary>
    /// Opens a box with the key named by <paramref name="kekId"/>, else with any other configured key: AES-GCM
    /// refuses a wrong key, so trying them is safe, and a key listed under another id than it sealed with still works.
    /// </summary>
    /// <exception cref="CryptographicException">No configured key opens it (the message names ids only).</exception>
    public byte[] Open(byte[] box, string? kekId, string associatedData) =>
        TryOpen(box, kekId, associatedData, out var plaintext, out _) ? plaintext
        : throw new CryptographicException(
            $"The value sealed by key-encryption key '{kekId}' opens under none of the configured keys ({string.Join(", ", KeyIds)}).");

    /// <summary><see cref="Open"/> without throwing; <paramref name="openedBy"/> is the key that opened it.</summary>
    internal bool TryOpen(byte[] box, string? kekId, string associatedData, out byte[] plaintext, [NotNullWhen(true)] out KeyEncryptionKey? openedBy)
    {
        if (box.Length >= NonceSize + TagSize)
        {
            var aad = Encoding.UTF8.GetBytes(associatedData);
            foreach (var key in Keys.OrderBy(k => k.Id == kekId ? 0 : 1))
            {
                var candidate = new byte[box.Length - NonceSize - TagSize];
                try
                {
                    using var aes = new AesGcm(key.Key, TagSize);
                    aes.Decrypt(box.AsSpan(0, NonceSize), box.AsSpan(NonceSize, candidate.Length), box.AsSpan(NonceSize + candidate.Length), candidate, aad);
                    plaintext = candidate;
                    openedBy = key;
                    return true;
                }
                catch (AuthenticationTagMismatchException)
                {
                    // Not this key: try the next.
                }
            }
        }
        plaintext = [];
        openedBy = null;
        return false;
    }
}
