namespace AuthService.Tokens;

/// <summary>A signing key as stored: public JWK in clear, private key sealed with AES-GCM under the KEK whose id is <see cref="KekId"/>.</summary>
public sealed record StoredSigningKey(string Kid, string PublicJwk, byte[] PrivateKey, string KekId, DateTimeOffset CreatedAt,
    DateTimeOffset NotBefore, DateTimeOffset? RetireAt, DateTimeOffset? ExpiresAt);
