using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace AuthService.Shared;

/// <summary>Opaque secrets (refresh, verify, reset): 256 random bits, base64url; only their SHA-256 is stored.</summary>
public static class OpaqueToken
{
    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The successor of a refresh token: an HMAC of it, so a retried request can be answered with the same successor.</summary>
    public static string Successor(string token, byte[] key) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(token)));

    /// <summary>Rejects values that cannot be one of ours before they reach the database.</summary>
    public static bool LooksValid(string? token) =>
        token is { Length: 43 } && Base64Url.IsValid(token);
}
