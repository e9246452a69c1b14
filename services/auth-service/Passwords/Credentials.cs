using AuthService.Shared;

namespace AuthService.Passwords;

/// <summary>What signin checks: the user, its password hash, and whether an admin disabled it (refused only after the password check).</summary>
internal sealed record Credentials(UserResponse User, string PasswordHash, bool Disabled);
