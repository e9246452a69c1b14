using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AuthService.Tests.Mfa;

/// <summary>
/// The tests' own RFC 6238 (TOTP over RFC 4226's HOTP, HMAC-SHA-1) and RFC 4648 base32, written from the RFCs and
/// checked against RFC 6238 appendix B: the service's codes are judged by this, not by the library it uses.
/// </summary>
public static class Rfc6238
{
    public const int StepSeconds = 30;

    public static long Step(DateTimeOffset at) => at.ToUnixTimeSeconds() / StepSeconds;

    public static string Code(byte[] secret, long step, int digits = 6)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
#pragma warning disable CA5350 // RFC 6238's default, which the contract fixes: HMAC-SHA-1 as a PRF, where its collisions do not matter
        var hmac = HMACSHA1.HashData(secret, counter);
#pragma warning restore CA5350
        var offset = hmac[^1] & 0x0f;
        var binary = ((hmac[offset] & 0x7f) << 24) | (hmac[offset + 1] << 16) | (hmac[offset + 2] << 8) | hmac[offset + 3];
        var modulo = (int)Math.Pow(10, digits);
        return (binary % modulo).ToString(new string('0', digits), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string Code(byte[] secret, DateTimeOffset at, int digits = 6) => Code(secret, Step(at), digits);

    public static byte[] Base32Decode(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            var value = alphabet.IndexOf(c);
            if (value < 0) throw new FormatException($"Not base32: '{c}'.");
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
                buffer &= (1 << bits) - 1;
            }
        }
        return [.. bytes];
    }
}
