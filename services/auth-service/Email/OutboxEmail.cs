namespace AuthService.Email;

public sealed record OutboxEmail(long Id, string To, string Subject, string Text, string Html, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);
