using AuthService.Shared;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

public sealed record AccessTokenResponse(string AccessToken, string TokenType, int ExpiresIn, UserResponse User);
