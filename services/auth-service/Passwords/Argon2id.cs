using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using AuthService.Options;
using AuthService.Telemetry;
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
    // The operation attribute of the hashing metrics and the suffix of the span names.
    private const string HashOperation = "hash";
    private const string VerifyOperation = "verify";

    private readonly ulong iterations;
    private readonly nuint memoryBytes;
    private readonly SemaphoreSlim slots;
    private readonly TimeSpan queueTimeout;
    private readonly Lazy<byte[]> decoyHash;
    private readonly AuthMetrics? metrics;

    // metrics: the hashing queue's depth and waits; absent where tests hash on their own.
    public Argon2id(IOptions<AuthOptions> options, AuthMetrics? metrics = null)
    {
        this.metrics = metrics;
        LibSodium.EnsureLoaded();
        var o = options.Value.Password;
        iterations = (ulong)o.HashIterations;
        memoryBytes = (nuint)o.HashMemoryKiB * 1024;
        slots = new SemaphoreSlim(o.MaxConcurrentHashes, o.MaxConcurrentHashes);
        queueTimeout = o.HashQueueTimeout;
        decoyHash = new Lazy<byte[]>(() => HashNow(Encoding.UTF8.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)))));
    }

    public Task<string> HashAsync(string password, CancellationToken ct = default) =>
        RunBoundedAsync(HashOperation, () => ToPhcString(HashNow(Bytes(password))), ct);

    /// <summary>Checks a stored hash: an Argon2id PHC string, or an imported bcrypt hash.</summary>
    public Task<bool> VerifyAsync(string storedHash, string password, CancellationToken ct = default) =>
        LegacyBcrypt.IsBcrypt(storedHash)
            ? RunBoundedAsync(VerifyOperation, () => LegacyBcrypt.Verify(storedHash, password), ct)
            : RunBoundedAsync(VerifyOperation, () => VerifyNow(ToCString(storedHash), Bytes(password)), ct);

    /// <summary>Spends one verification on a throwaway hash, so an unknown email costs what a known one does.</summary>
    public Task VerifyDecoyAsync(string password, CancellationToken ct = default) =>
        RunBoundedAsync(VerifyOperation, () => VerifyNow(decoyHash.Value, Bytes(password)), ct);

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

    /// <summary>
    /// One span per hash (<c>password.hash</c>, <c>password.verify</c>; a decoy is a verify like any other),
    /// covering the wait for a slot and the work.
    /// </summary>
    private async Task<T> RunBoundedAsync<T>(string operation, Func<T> work, CancellationToken ct)
    {
        using var span = AuthTracing.Source.StartActivity("password." + operation);
        var queued = Stopwatch.GetTimestamp();
        metrics?.HashQueued(1);
        bool admitted;
        try
        {
            admitted = await slots.WaitAsync(queueTimeout, ct);
        }
        finally
        {
            metrics?.HashQueued(-1);
            metrics?.HashWaited(operation, Stopwatch.GetElapsedTime(queued));
        }
        if (!admitted)
        {
            var busy = new PasswordHasherBusyException();
            span.Failed(busy);
            throw busy;
        }
        try
        {
            var started = Stopwatch.GetTimestamp();
            var result = await Task.Run(work, ct);
            metrics?.Hashed(operation, Stopwatch.GetElapsedTime(started));
            return result;
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
