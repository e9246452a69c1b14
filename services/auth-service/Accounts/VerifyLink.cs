namespace AuthService.Accounts;

/// <summary>
/// A live verify link: its token row, and the credential of the signup it belongs to. When the address
/// saw more than one signup, following the link needs that signup's password too.
/// </summary>
public sealed record VerifyLink(long TokenId, Guid UserId, string Email, long SignupId, string PasswordHash, bool NeedsPassword);
