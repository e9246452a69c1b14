namespace AuthService.Sessions;

public sealed record SessionResponse(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt, DateTimeOffset ExpiresAt,
    string? UserAgent, string? Ip, bool Current);
