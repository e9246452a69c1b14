using System.Security.Cryptography;
using AuthService.Data;
using Dapper;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>
/// The HMAC key that derives a refresh token's successor from it (<c>OpaqueToken.Successor</c>): a server secret of
/// its own (<see cref="ServerSecretStore"/>), loaded once at startup, so rotating the key-encryption key does not
/// change it. The previous release derived it from the KEK by HKDF; a database from then keeps exactly that value
/// (sealed on the first start of this release), so sessions rotated under the old release go on refreshing, and a
/// retry within the grace window still matches the successor an old replica stored.
/// </summary>
internal sealed class RefreshSuccessorKey(
    ServerSecretStore store, ServerSecrets secrets, NpgsqlDataSource dataSource, ILogger<RefreshSuccessorKey> logger) : IStartupStep
{
    public const string SecretName = "refresh_successor_key";

    private byte[]? key;

    public byte[] Key => key ?? throw new InvalidOperationException("The refresh successor key is not loaded yet.");

    /// <summary>The startup step: load (or create) the key, and say which key-encryption keys this replica holds (ids only).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        logger.LogInformation("Key-encryption keys: '{Sealing}' seals; {Ids} open", secrets.SealingKeyId, string.Join(", ", secrets.KeyIds.Select(id => $"'{id}'")));
    }

    public async Task LoadAsync(CancellationToken ct) => key = await store.GetOrCreateAsync(SecretName, DeriveAsBeforeAsync, ct);

    /// <summary>Makes sure the key is stored (carried over if pending) without loading it.</summary>
    public Task EnsureStoredAsync(CancellationToken ct) => store.EnsureStoredAsync(SecretName, DeriveAsBeforeAsync, ct);

    /// <summary>The previous release's value: HKDF of its only KEK, the one that sealed the database's oldest signing key.</summary>
    private async Task<byte[]> DeriveAsBeforeAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var oldest = await conn.QueryFirstOrDefaultAsync<OldestKey>(
            "SELECT kid, private_key, kek_id FROM signing_keys ORDER BY created_at, kid LIMIT 1", new { ct });
        if (oldest is null) return DeriveFromKek(secrets.Keys[0].Key); // sessions without a signing key: only one KEK was ever possible
        if (!secrets.TryOpen(oldest.PrivateKey, oldest.KekId, oldest.Kid, out var pkcs8, out var kek))
            throw new CryptographicException(
                $"Cannot carry over the refresh successor key: none of the configured key-encryption keys ({string.Join(", ", secrets.KeyIds)}) " +
                $"opens the oldest signing key '{oldest.Kid}', so the key that derived it is not configured.");
        CryptographicOperations.ZeroMemory(pkcs8);
        return DeriveFromKek(kek.Key);
    }

    /// <summary>How the previous release derived the key from <c>Auth:KeyEncryptionKey</c>.</summary>
    internal static byte[] DeriveFromKek(byte[] kek) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, kek, 32, info: "refresh-token-successor"u8.ToArray());

    internal sealed record OldestKey(string Kid, byte[] PrivateKey, string KekId);
}
