using AuthService.Shared;

namespace AuthService.Tokens;

public sealed record AccessTokenResponse(string AccessToken, string TokenType, int ExpiresIn, UserResponse User);
