using System.Globalization;
using System.Text.RegularExpressions;

namespace AuthService.Passwords;

/// <summary>
/// Argon2id PHC strings as libsodium's <c>crypto_pwhash_str_verify</c> checks them
/// (<c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c>, unpadded base64), written by libsodium, argon2-cffi,
/// node-argon2, Konscious and others. Version 19 only (libsodium refuses 16). The cost a signin would
/// pay is bounded, so an imported hash cannot turn signin into a denial of service: at most
/// <see cref="MaxMemoryKiB"/> of memory, <see cref="MaxIterations"/> passes and <see cref="MaxLanes"/> lanes
/// (libsodium computes the lanes one after the other). A hash with other parameters than the configured
/// ones is replaced at the first signin (<see cref="Argon2id.NeedsRehash"/>).
/// </summary>
internal static partial class ImportedArgon2id
{
    public const int MaxMemoryKiB = 256 * 1024;
    public const int MaxIterations = 16;
    public const int MaxLanes = 16;

    public static bool IsArgon2id(string storedHash)
    {
        if (storedHash.Length > 512) return false;
        var m = Phc().Match(storedHash);
        if (!m.Success) return false;
        if (!uint.TryParse(m.Groups["m"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var memory)
            || !uint.TryParse(m.Groups["t"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || !uint.TryParse(m.Groups["p"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var lanes))
            return false;
        // Argon2 needs at least 8 KiB per lane.
        return lanes is >= 1 and <= MaxLanes && iterations is >= 1 and <= MaxIterations && memory >= 8 * lanes && memory <= MaxMemoryKiB;
    }

    // Salt at least 8 bytes (11 base64 characters), hash at least 16 bytes (22 characters), as libsodium requires.
    [GeneratedRegex(@"^\$argon2id\$v=19\$m=(?<m>[0-9]{1,10}),t=(?<t>[0-9]{1,10}),p=(?<p>[0-9]{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Phc();
}
