namespace AuthService.Sessions;

public sealed record NewSession(Guid Id, string RefreshToken, DateTimeOffset ExpiresAt);
