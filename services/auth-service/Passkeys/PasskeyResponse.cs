namespace AuthService.Passkeys;

/// <summary>One of the caller's passkeys, without its key material.</summary>
public sealed record PasskeyResponse(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);
