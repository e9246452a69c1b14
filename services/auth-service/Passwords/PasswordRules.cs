namespace AuthService.Passwords;

/// <summary>GET /auth/password/policy: the rule a new password must meet, so a form can state it before the first try.</summary>
public sealed record PasswordRules(int MinLength, int MaxLength, string Description);
