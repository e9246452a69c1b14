using System.Buffers.Binary;
using Microsoft.AspNetCore.Identity;

namespace AuthService.Passwords;

/// <summary>
/// ASP.NET Core Identity's <c>PasswordHasher</c> V3 hashes (base64 of 0x01 | prf | iterations | salt length |
/// salt | subkey, integers big-endian; PBKDF2 with HMAC-SHA256 or HMAC-SHA512), verified by Identity's own
/// <see cref="PasswordHasher{TUser}"/> (part of the ASP.NET Core shared framework). The password is checked as typed.
/// <list type="bullet">
/// <item>Iterations are bounded (<see cref="MaxIterations"/>): an imported hash cannot make one signin cost seconds.</item>
/// <item>V2 hashes (0x00: PBKDF2-HMAC-SHA1, 1,000 iterations) are refused: that cost is cheap enough to
/// brute-force offline, and keeping it would put the weakest hash the service holds below its own floor. Such
/// users are imported without <c>passwordHash</c> and set a password through forgot-password.</item>
/// <item>HMAC-SHA1 V3 hashes (prf 0, only from a customized hasher) are refused as well.</item>
/// </list>
/// </summary>
internal static class IdentityV3Hash
{
    public const int MaxIterations = 2_000_000;
    private const int HeaderBytes = 13;
    private static readonly PasswordHasher<object> Hasher = new();
    private static readonly object User = new();

    public static bool IsIdentityV3(string storedHash)
    {
        if (storedHash.Length is < 40 or > 400) return false;
        Span<byte> bytes = stackalloc byte[300];
        if (!Convert.TryFromBase64String(storedHash, bytes, out var length) || length < HeaderBytes || bytes[0] != 0x01) return false;
        var prf = BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]);
        var iterations = BinaryPrimitives.ReadUInt32BigEndian(bytes[5..]);
        var saltLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[9..]);
        // prf 1 = HMACSHA256, 2 = HMACSHA512; salt of at least 128 bits, as Identity requires, and a subkey of at least 128 bits.
        return prf is 1 or 2 && iterations is >= 1 and <= MaxIterations && saltLength is >= 16 and <= 64
            && length - HeaderBytes - (int)saltLength >= 16;
    }

    public static bool Verify(string storedHash, string password) =>
        IsIdentityV3(storedHash) && Hasher.VerifyHashedPassword(User, storedHash, password) != PasswordVerificationResult.Failed;
}
