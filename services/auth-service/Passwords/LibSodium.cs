using System.Reflection;
using System.Runtime.InteropServices;

namespace AuthService.Passwords;

/// <summary>
/// The four libsodium calls Argon2id hashing needs (Debian <c>libsodium23</c>). <c>crypto_pwhash_str</c>
/// produces a PHC string (<c>$argon2id$v=19$m=…,t=…,p=1$salt$hash</c>) with a random salt.
/// </summary>
internal static partial class LibSodium
{
    private const string Library = "libsodium";

    /// <summary>crypto_pwhash_STRBYTES: the output buffer size, NUL terminator included.</summary>
    internal const int StrBytes = 128;

    static LibSodium()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibSodium).Assembly, Resolve);
        if (sodium_init() < 0) throw new InvalidOperationException("libsodium could not be initialised.");
    }

    /// <summary>Forces the static constructor, so a missing libsodium fails at startup, not at first signin.</summary>
    internal static void EnsureLoaded() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in new[] { "libsodium.so.23", "libsodium.so", "libsodium" })
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException("libsodium is not installed (Debian: apt-get install libsodium23).");
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str(byte[] output, byte[] password, ulong passwordLength, ulong opsLimit, nuint memLimit);

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str_verify(byte[] hash, byte[] password, ulong passwordLength);

    [LibraryImport(Library)]
    internal static partial int crypto_pwhash_str_needs_rehash(byte[] hash, ulong opsLimit, nuint memLimit);
}
