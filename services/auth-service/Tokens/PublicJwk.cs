namespace AuthService.Tokens;

/// <summary>A signing key's public half as stored (signing_keys.public_jwk) and published in the JWKS: an ES256 P-256 key.</summary>
public sealed record PublicJwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);
