internal sealed record TokenUser(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTimeOffset CreatedAt, string[] Roles, TokenUserMfa Mfa);
