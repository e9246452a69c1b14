namespace AuthService.Import;

/// <summary>An imported user that passed <see cref="ImportValidation"/>: normalized email, the hash to store (or the unusable marker).</summary>
internal sealed record ValidImportUser(string Email, string PasswordHash, bool EmailVerified, string? DisplayName, string[] Roles, DateTimeOffset CreatedAt);
