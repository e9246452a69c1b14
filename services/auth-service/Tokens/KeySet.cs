using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

public sealed record KeySet(
    IReadOnlyList<Signer> Signers,
    IReadOnlyDictionary<string, SecurityKey> ValidationKeys,
    byte[] JwksJson,
    string JwksETag,
    string Fingerprint)
{
    /// <summary>The newest key whose signing period covers <paramref name="now"/>.</summary>
    public Signer SignerAt(DateTimeOffset now) =>
        Signers.LastOrDefault(s => s.NotBefore <= now && (s.RetireAt is null || s.RetireAt > now))
        ?? Signers.LastOrDefault(s => s.NotBefore <= now) // a missed rotation must not stop signins
        ?? Signers.FirstOrDefault()                      // this replica's clock is behind the key's creator
        ?? throw new InvalidOperationException("No signing key is loaded.");
}
