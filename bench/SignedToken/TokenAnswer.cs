// The shape of the service's AccessTokenResponse, so both answers are the same size.
internal sealed record TokenAnswer(string AccessToken, string TokenType, int ExpiresIn, TokenUser User);
