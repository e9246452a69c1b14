using AuthService.Shared;

namespace AuthService.Passwords;

internal sealed record Credentials(UserResponse User, string PasswordHash);
