using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace AuthService.Mfa;

/// <summary>
/// Recovery codes: 80 random bits each, shown once as base32 in four groups (<c>abcd-efgh-ijkl-mnop</c>), stored as
/// SHA-256. Typed back in any case, with or without hyphens and spaces.
/// </summary>
internal static class RecoveryCodes
{
    public const int Count = 10;
    private const int Bytes = 10; // 80 bits: 16 base32 characters, no padding

    public static string[] New() => Enumerable.Range(0, Count).Select(_ => Format(RandomNumberGenerator.GetBytes(Bytes))).ToArray();

    /// <summary>The canonical form (16 upper-case base32 characters), or null when it cannot be a recovery code.</summary>
    public static string? Normalize(string? typed)
    {
        if (typed is null || typed.Length > 64) return null;
        var canonical = new StringBuilder(16);
        foreach (var c in typed)
        {
            if (c is '-' or ' ') continue;
            var upper = char.ToUpperInvariant(c);
            if (upper is not ((>= 'A' and <= 'Z') or (>= '2' and <= '7'))) return null;
            canonical.Append(upper);
        }
        return canonical.Length == 16 ? canonical.ToString() : null;
    }

    public static byte[] Hash(string canonical) => SHA256.HashData(Encoding.ASCII.GetBytes(canonical));

    private static string Format(byte[] random)
    {
        var code = Base32Encoding.ToString(random).ToLowerInvariant();
        return string.Join('-', code.Chunk(4).Select(chunk => new string(chunk)));
    }
}
