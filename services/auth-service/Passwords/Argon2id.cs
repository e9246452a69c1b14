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
/// Imported hashes (bcrypt, Identity V3, Argon2id with other parameters: <see cref="StoredPasswordHash"/>) are
/// verified through the same queue (their cost is bounded at import) and are replaced at the first signin.
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

    /// <summary>Checks a stored hash of any format <see cref="StoredPasswordHash"/> recognizes.</summary>
    public async Task<bool> VerifyAsync(string storedHash, string password, CancellationToken ct = default) =>
        await CheckAsync(storedHash, password, ct) != PasswordCheck.Failed;

    /// <summary>
    /// Checks a password against a stored hash and says whether the hash is to be replaced. Imported formats
    /// (bcrypt, Identity V3) are checked as typed, with no NFKC: the system that made them did not normalize.
    /// An Argon2id hash is checked on the NFKC form (every hash this service writes is of that form), then, only
    /// when the typed password differs from its NFKC form, as typed: an imported Argon2id hash of a password with
    /// compatibility characters matches that way, and is then rehashed. A hash of the NFKC form never matches
    /// the typed bytes of a password that NFKC changes, so the second check accepts nothing the first refused
    /// for the service's own hashes. A hash of no known format (an imported user without a password) spends a
    /// decoy verification and fails.
    /// </summary>
    public Task<PasswordCheck> CheckAsync(string storedHash, string password, CancellationToken ct = default)
    {
        if (storedHash.StartsWith("$argon2id$", StringComparison.Ordinal))
        {
            return RunBoundedAsync(VerifyOperation, () =>
            {
                var hash = ToCString(storedHash);
                if (VerifyNow(hash, Bytes(password)))
                    return LibSodium.crypto_pwhash_str_needs_rehash(hash, iterations, memoryBytes) != 0 ? PasswordCheck.MatchedNeedsRehash : PasswordCheck.Matched;
                if (!ChangedByNfkc(password)) return PasswordCheck.Failed;
                return VerifyNow(hash, Encoding.UTF8.GetBytes(password)) ? PasswordCheck.MatchedNeedsRehash : PasswordCheck.Failed;
            }, ct);
        }
        return StoredPasswordHash.Recognize(storedHash) switch
        {
            PasswordHashFormat.Bcrypt => RunBoundedAsync(VerifyOperation, () => Rehash(LegacyBcrypt.Verify(storedHash, password)), ct),
            PasswordHashFormat.IdentityV3 => RunBoundedAsync(VerifyOperation, () => Rehash(IdentityV3Hash.Verify(storedHash, password)), ct),
            _ => RunBoundedAsync(VerifyOperation, () =>
            {
                SpendDecoy(password);
                return PasswordCheck.Failed;
            }, ct),
        };

        static PasswordCheck Rehash(bool matched) => matched ? PasswordCheck.MatchedNeedsRehash : PasswordCheck.Failed;
    }

    /// <summary>Spends on a throwaway hash what a known account's failed check spends, so an unknown email costs the same.</summary>
    public Task VerifyDecoyAsync(string password, CancellationToken ct = default) =>
        RunBoundedAsync(VerifyOperation, () => SpendDecoy(password), ct);

    /// <summary>Argon2id verifications this instance ran: the tests compare known and unknown accounts by it.</summary>
    internal long Verifications => Interlocked.Read(ref verifications);

    /// <summary>Hashing slots free right now: tests wait for a slot to be taken instead of guessing how long that takes.</summary>
    internal int FreeSlots => slots.CurrentCount;

    private long verifications;

    /// <summary>
    /// A failed check of a password that NFKC changes runs two verifications (the NFKC form, then as typed, for
    /// imported hashes), so the decoy runs two for it as well: else such a password would tell known accounts
    /// from unknown ones by the time of their refusal.
    /// </summary>
    private bool SpendDecoy(string password)
    {
        VerifyNow(decoyHash.Value, Bytes(password));
        if (ChangedByNfkc(password)) VerifyNow(decoyHash.Value, Encoding.UTF8.GetBytes(password));
        return false; // nothing matches a throwaway hash
    }

    private static bool ChangedByNfkc(string password) =>
        !string.Equals(password, password.Normalize(NormalizationForm.FormKC), StringComparison.Ordinal);

    /// <summary>NFKC first (SP 800-63B): "è" typed as one code point or as e + accent is the same password.</summary>
    private static byte[] Bytes(string password) => Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC));

    /// <summary>True for an imported format, and for an Argon2id hash made with other parameters than the configured ones.</summary>
    public bool NeedsRehash(string storedHash) =>
        !storedHash.StartsWith("$argon2id$", StringComparison.Ordinal)
        || LibSodium.crypto_pwhash_str_needs_rehash(ToCString(storedHash), iterations, memoryBytes) != 0;

    /// <summary>The scheme of a stored hash, for audit details (<see cref="StoredPasswordHash.Scheme"/>).</summary>
    public static string Scheme(string storedHash) => StoredPasswordHash.Scheme(storedHash);

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

    private bool VerifyNow(byte[] hash, byte[] password)
    {
        Interlocked.Increment(ref verifications);
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
