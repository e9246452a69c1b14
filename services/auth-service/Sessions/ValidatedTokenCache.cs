using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AuthService.Options;
using AuthService.Tokens;
using Microsoft.Extensions.Options;

namespace AuthService.Sessions;

/// <summary>
/// Access tokens this replica has already validated in full (signature, issuer, audience, type, lifetime, no
/// <c>crit</c>), by a SHA-256 of the token, with the principal the validation made: presenting one again skips the
/// parsing and the ES256 verification until its <c>exp</c> (with the same clock and skew). The session check still
/// runs on every call. An entry is trusted only under the key set it was validated with, so a key removed from the
/// ring (rotate-signing-key --revoke-current) takes its tokens with it. Bounded like the session cache.
/// </summary>
internal sealed class ValidatedTokenCache(IOptions<AuthOptions> options, SigningKeyRing ring, TimeProvider clock)
{
    /// <summary>The handler's <c>ClockSkew</c> (BearerAuthentication).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly int capacity = options.Value.SessionCacheSize;
    private readonly ConcurrentDictionary<TokenHash, Entry> entries = new();

    public ClaimsPrincipal? Find(string token)
    {
        if (capacity == 0 || !entries.TryGetValue(TokenHash.Of(token), out var entry)) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (!ReferenceEquals(entry.Keys, ring.Current) || entry.ValidUntil <= now || entry.ValidFrom > now) return null;
        return entry.Principal;
    }

    /// <summary>Called only once the token passed every check of the handler and ours.</summary>
    public void Remember(string token, ClaimsPrincipal principal, DateTime notBefore, DateTime expires)
    {
        if (capacity == 0) return;
        if (entries.Count >= capacity) entries.Clear(); // at the bound: start over, as the session cache does
        var validFrom = notBefore == DateTime.MinValue ? DateTime.MinValue : notBefore - ClockSkew; // no nbf: no lower bound
        entries[TokenHash.Of(token)] = new Entry(principal, ring.Current, validFrom, expires + ClockSkew);
    }

    private sealed record Entry(ClaimsPrincipal Principal, KeySet Keys, DateTime ValidFrom, DateTime ValidUntil);

    private readonly record struct TokenHash(UInt128 High, UInt128 Low)
    {
        public static TokenHash Of(string token)
        {
            Span<byte> hash = stackalloc byte[32];
            var length = Encoding.UTF8.GetByteCount(token);
            var bytes = length <= 4096 ? stackalloc byte[length] : new byte[length];
            Encoding.UTF8.GetBytes(token, bytes);
            SHA256.HashData(bytes, hash);
            return new TokenHash(BinaryPrimitives.ReadUInt128BigEndian(hash), BinaryPrimitives.ReadUInt128BigEndian(hash[16..]));
        }
    }
}
