using System.Security.Cryptography;
using System.Text;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Passwords;

/// <summary>
/// Argon2id password hashing (libsodium). Each hash costs ~19 MiB and several milliseconds of one
/// core, so hashes run off the request thread and at most <c>MaxConcurrentHashes</c> at a time:
/// a burst of signins queues briefly instead of exhausting memory or starving other endpoints.
/// Imported bcrypt hashes (<see cref="LegacyBcrypt"/>) are verified through the same queue (bcrypt at
/// cost 10–12 costs about what Argon2id does) and always need a rehash.
/// </summary>
public sealed class Argon2id : IDisposable
{
    private readonly ulong iterations;
    private readonly nuint memoryBytes;
    private readonly SemaphoreSlim slots;
    private readonly TimeSpan queueTimeout;
    private readonly Lazy<byte[]> decoyHash;

    public Argon2id(IOptions<AuthOptions> options)
    {
        LibSodium.EnsureLoaded();
        var o = options.Value.Password;
        iterations = (ulong)o.HashIterations;
        memoryBytes = (nuint)o.HashMemoryKiB * 1024;
        slots = new SemaphoreSlim(o.MaxConcurrentHashes, o.MaxConcurrentHashes);
        queueTimeout = o.HashQueueTimeout;
        decoyHash = new Lazy<byte[]>(() => HashNow(Encoding.UTF8.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)))));
    }

    public Task<string> HashAsync(string password, CancellationToken ct = default) =>
        RunBoundedAsync(() => ToPhcString(HashNow(Bytes(password))), ct);

    /// <summary>Checks a stored hash: an Argon2id PHC string, or an imported bcrypt hash.</summary>
    public Task<bool> VerifyAsync(string storedHash, string password, CancellationToken ct = default) =>
        LegacyBcrypt.IsBcrypt(storedHash)
            ? RunBoundedAsync(() => LegacyBcrypt.Verify(storedHash, password), ct)
            : RunBoundedAsync(() => VerifyNow(ToCString(storedHash), Bytes(password)), ct);

    /// <summary>Spends one verification on a throwaway hash, so an unknown email costs what a known one does.</summary>
    public Task VerifyDecoyAsync(string password, CancellationToken ct = default) =>
        RunBoundedAsync(() => VerifyNow(decoyHash.Value, Bytes(password)), ct);

    /// <summary>NFKC first (SP 800-63B): "è" typed as one code point or as e + accent is the same password.</summary>
    private static byte[] Bytes(string password) => Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC));

    /// <summary>True for a bcrypt hash, and for an Argon2id hash made with other parameters than the configured ones.</summary>
    public bool NeedsRehash(string storedHash) =>
        LegacyBcrypt.IsBcrypt(storedHash)
        || LibSodium.crypto_pwhash_str_needs_rehash(ToCString(storedHash), iterations, memoryBytes) != 0;

    /// <summary>The scheme of a stored hash, for audit details: <c>bcrypt</c>, <c>argon2id</c> or <c>unknown</c>.</summary>
    public static string Scheme(string storedHash) =>
        LegacyBcrypt.IsBcrypt(storedHash) ? "bcrypt"
        : storedHash.StartsWith("$argon2id$", StringComparison.Ordinal) ? "argon2id"
        : "unknown";

    private byte[] HashNow(byte[] password)
    {
        var output = new byte[LibSodium.StrBytes];
        try
        {
            if (LibSodium.crypto_pwhash_str(output, password, (ulong)password.Length, iterations, memoryBytes) != 0)
                throw new InvalidOperationException("Argon2id hashing failed (out of memory?).");
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private static bool VerifyNow(byte[] hash, byte[] password)
    {
        try
        {
            return LibSodium.crypto_pwhash_str_verify(hash, password, (ulong)password.Length) == 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    private async Task<T> RunBoundedAsync<T>(Func<T> work, CancellationToken ct)
    {
        if (!await slots.WaitAsync(queueTimeout, ct)) throw new PasswordHasherBusyException();
        try
        {
            return await Task.Run(work, ct);
        }
        finally
        {
            slots.Release();
        }
    }

    private static string ToPhcString(byte[] output) => Encoding.ASCII.GetString(output, 0, Array.IndexOf(output, (byte)0));

    private static byte[] ToCString(string value)
    {
        var bytes = new byte[Encoding.ASCII.GetByteCount(value) + 1];
        Encoding.ASCII.GetBytes(value, bytes);
        return bytes;
    }

    public void Dispose() => slots.Dispose();
}
