namespace AuthService.Accounts;

public sealed record ResetTarget(Guid UserId, string Email);
