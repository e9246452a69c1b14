using System.Runtime.InteropServices;

namespace AuthService.Passwords;

/// <summary>
/// The four libsodium calls Argon2id hashing needs. <c>crypto_pwhash_str</c> produces a PHC string
/// (<c>$argon2id$v=19$m=…,t=…,p=1$salt$hash</c>) with a random salt.
/// <para>
/// The native library comes from the <c>libsodium</c> NuGet package (libsodium's own builds, one per
/// runtime identifier under <c>runtimes/&lt;rid&gt;/native/</c>; the published executable is for one runtime
/// identifier, and the library lies beside it), so the
/// machine and the container image need no libsodium package. The runtime's default probing finds it
/// there first; NSec.Cryptography (the package's intended consumer) does not expose PHC strings, which
/// existing hashes are stored as.
/// </para>
/// </summary>
internal static partial class LibSodium
{
    private const string Library = "libsodium";

    /// <summary>crypto_pwhash_STRBYTES: the output buffer size, NUL terminator included.</summary>
    internal const int StrBytes = 128;

    static LibSodium()
    {
        int initialized;
        try
        {
            initialized = sodium_init();
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException(
                "libsodium was not found beside the app (from the libsodium NuGet package): " +
                "publish for a supported runtime identifier (linux-x64, linux-arm64) without trimming native files.", e);
        }
        if (initialized < 0) throw new InvalidOperationException("libsodium could not be initialised.");
    }

    /// <summary>Forces the static constructor, so a missing libsodium fails at startup, not at first signin.</summary>
    internal static void EnsureLoaded() { }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str(byte[] output, byte[] password, ulong passwordLength, ulong opsLimit, nuint memLimit);

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str_verify(byte[] hash, byte[] password, ulong passwordLength);

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str_needs_rehash(byte[] hash, ulong opsLimit, nuint memLimit);
}
