using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

/// <summary>A key that signs from <see cref="NotBefore"/> until <see cref="RetireAt"/>.</summary>
public sealed record Signer(string Kid, DateTimeOffset NotBefore, DateTimeOffset? RetireAt, SigningCredentials Credentials);
