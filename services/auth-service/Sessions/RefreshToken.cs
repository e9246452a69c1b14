using System.Buffers.Text;
using System.Security.Cryptography;
using AuthService.Shared;

namespace AuthService.Sessions;

/// <summary>
/// A refresh token as the cookie carries it: the session's id (16 bytes, 22 base64url characters) followed by the
/// secret (<see cref="OpaqueToken"/>, 43 characters), so a rotation finds its session by primary key. Only the
/// secret's SHA-256 is stored; the successor's secret is the HMAC of this one (<see cref="OpaqueToken.Successor"/>),
/// so the secrets of one session form a chain. A token of the previous release is the bare secret: its
/// <see cref="SessionId"/> is null and its session is found through <c>refresh_tokens</c>.
/// </summary>
internal readonly record struct RefreshToken(Guid? SessionId, string Secret)
{
    private const int SessionIdLength = 22;
    public const int Length = SessionIdLength + 43;

    /// <summary>
    /// How far back a reuse is proven. The walk costs about a microsecond per step and anyone holding a session id
    /// can make it run, so it is bounded: a token more rotations behind than this is refused as invalid without
    /// revoking, like a forged one (about ten days of a tab refreshing every 15 minutes).
    /// </summary>
    public const int MaxAncestorSteps = 1_000;

    public byte[] SecretHash => OpaqueToken.Hash(Secret);

    public static string Format(Guid sessionId, string secret) =>
        Base64Url.EncodeToString(sessionId.ToByteArray(bigEndian: true)) + secret;

    /// <summary>Rejects values that cannot be one of ours before they reach the database.</summary>
    public static bool TryParse(string? value, out RefreshToken token)
    {
        token = default;
        if (OpaqueToken.LooksValid(value))
        {
            token = new RefreshToken(null, value!);
            return true;
        }
        // IsValid first: TryDecodeFromChars throws on characters outside the alphabet.
        if (value is not { Length: Length } || !Base64Url.IsValid(value.AsSpan(0, SessionIdLength)) || !OpaqueToken.LooksValid(value[SessionIdLength..]))
            return false;
        Span<byte> id = stackalloc byte[16];
        if (!Base64Url.TryDecodeFromChars(value.AsSpan(0, SessionIdLength), id, out var written) || written != 16) return false;
        token = new RefreshToken(new Guid(id, bigEndian: true), value[SessionIdLength..]);
        return true;
    }

    /// <summary>
    /// Whether this secret is a genuine ancestor of the one hashed as <paramref name="currentHash"/>: its successors
    /// reach it within <paramref name="generation"/> steps (at most <see cref="MaxAncestorSteps"/>). A forged secret
    /// never does, so it revokes nothing.
    /// </summary>
    public bool IsAncestorOf(byte[] currentHash, int generation, byte[] successorKey)
    {
        var secret = Secret;
        for (var step = 0; step < Math.Min(generation, MaxAncestorSteps); step++)
        {
            secret = OpaqueToken.Successor(secret, successorKey);
            if (CryptographicOperations.FixedTimeEquals(OpaqueToken.Hash(secret), currentHash)) return true;
        }
        return false;
    }
}
