using AuthService.Options;
using AuthService.Shared;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tokens;

/// <summary>
/// Signs short-lived ES256 access tokens (<c>typ</c> at+jwt, RFC 9068) with the ring's current key. They carry
/// the user's <c>roles</c> (a JSON array, empty when none, as RFC 9068 §7.2.1 and a downstream
/// <c>RoleClaimType = "roles"</c> expect) and <c>amr</c> (RFC 8176, <see cref="AuthMethods"/>): how the session's signin
/// was made, kept by every refresh of it.
/// </summary>
internal sealed class AccessTokenIssuer(SigningKeyRing keys, IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly AuthOptions auth = options.Value;

    public AccessTokenResponse Issue(UserResponse user, Guid sessionId, IReadOnlyList<string> amr)
    {
        var instant = clock.GetUtcNow();
        var now = instant.UtcDateTime;
        var lifetime = auth.AccessTokenLifetime;
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            TokenType = "at+jwt",
            SigningCredentials = keys.Current.SignerAt(instant).Credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
                ["sid"] = sessionId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
                [JwtRegisteredClaimNames.Email] = user.Email,
                ["email_verified"] = user.EmailVerified,
                ["roles"] = user.Roles.ToArray(),
                ["amr"] = amr.ToArray(),
            },
        });
        return new AccessTokenResponse(token, "Bearer", (int)lifetime.TotalSeconds, user);
    }
}
