using OtpNet;

namespace AuthService.Mfa;

/// <summary>RFC 6238 as the contract fixes it: SHA-1, 6 digits, 30-second steps, one step of drift either way.</summary>
internal static class TotpCodes
{
    public const int StepSeconds = 30;
    public const int Digits = 6;
    /// <summary>160 bits, the HMAC-SHA-1 block RFC 4226 recommends.</summary>
    public const int SecretBytes = 20;

    public static byte[] NewSecret() => KeyGeneration.GenerateRandomKey(SecretBytes);

    public static string Base32(byte[] secret) => Base32Encoding.ToString(secret).TrimEnd('=');

    /// <summary>Six ASCII digits, nothing else: other Unicode digits, spaces and signs are refused before any HMAC runs.</summary>
    public static bool LooksLikeCode(string? code) => code is { Length: Digits } && code.All(char.IsAsciiDigit);

    /// <summary>
    /// The time step <paramref name="code"/> belongs to within ±1 step of <paramref name="now"/>, or null. Whether that
    /// step may still be used (a code is accepted once) is the store's decision, in one UPDATE.
    /// </summary>
    public static long? MatchStep(byte[] secret, string code, DateTimeOffset now)
    {
        if (!LooksLikeCode(code)) return null;
        var totp = new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits);
        return totp.VerifyTotp(now.UtcDateTime, code, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }
}
