using System.Text.Json;
using AuthService.Options;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tests.Tokens;

/// <summary>The access token's shape (API.md, "Tokens and cookies"), built without a database.</summary>
public sealed class AccessTokenIssuerTests
{
    // Whole seconds, so iat/nbf/exp compare exactly with the clock.
    private static readonly DateTimeOffset FixedNow = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private readonly TestClock clock = new();
    private readonly AuthOptions options = TestKeys.Options(accessTokenLifetime: TimeSpan.FromMinutes(7));
    private readonly StoredSigningKey key;
    private readonly AccessTokenIssuer issuer;

    public AccessTokenIssuerTests()
    {
        var secrets = TestKeys.Secrets(options);
        key = TestKeys.Store(secrets).Generate(clock.GetUtcNow(), clock.GetUtcNow());
        var ring = new SigningKeyRing(TestKeys.Store(secrets), secrets, clock, NullLogger<SigningKeyRing>.Instance);
        ring.Load([key], clock.GetUtcNow());
        issuer = new AccessTokenIssuer(ring, Microsoft.Extensions.Options.Options.Create(options), clock);
    }

    private static UserResponse User(bool verified = true) =>
        new(Guid.NewGuid(), "someone@example.com", verified, "Someone", DateTimeOffset.UtcNow, [], new MfaStatus(false, 0));

    [Fact]
    public void Issue_HeaderIsEs256AtJwtWithTheSigningKeysKid()
    {
        var token = issuer.Issue(User(), Guid.NewGuid(), AuthMethods.Password).AccessToken;

        var header = TestKeys.Segment(token, 0);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        Assert.Equal(key.Kid, header.GetProperty("kid").GetString());
    }

    [Fact]
    public void Issue_CarriesEveryContractClaim()
    {
        clock.Set(FixedNow);
        var user = User();
        var sessionId = Guid.NewGuid();

        var response = issuer.Issue(user, sessionId, AuthMethods.Password);
        var claims = TestKeys.Segment(response.AccessToken, 1);

        Assert.Equal("https://auth.test", claims.GetProperty("iss").GetString());
        Assert.Equal("api", claims.GetProperty("aud").GetString());
        Assert.Equal(user.Id.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(sessionId.ToString(), claims.GetProperty("sid").GetString());
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("jti").GetString()));
        Assert.Equal(user.Email, claims.GetProperty("email").GetString());
        var iat = claims.GetProperty("iat").GetInt64();
        Assert.Equal(FixedNow.ToUnixTimeSeconds(), iat);
        Assert.Equal(iat, claims.GetProperty("nbf").GetInt64());
        Assert.Equal(iat + (long)options.AccessTokenLifetime.TotalSeconds, claims.GetProperty("exp").GetInt64());
        Assert.Equal("Bearer", response.TokenType);
        Assert.Equal((int)options.AccessTokenLifetime.TotalSeconds, response.ExpiresIn);
    }

    [Theory]
    [InlineData(true, JsonValueKind.True)]
    [InlineData(false, JsonValueKind.False)]
    public void Issue_EmailVerifiedIsAJsonBoolean(bool verified, JsonValueKind expected)
    {
        var token = issuer.Issue(User(verified), Guid.NewGuid(), AuthMethods.Password).AccessToken;

        Assert.Equal(expected, TestKeys.Segment(token, 1).GetProperty("email_verified").ValueKind);
    }

    [Fact]
    public void Issue_EveryTokenHasItsOwnJti()
    {
        var user = User();
        var sid = Guid.NewGuid();
        var first = TestKeys.Segment(issuer.Issue(user, sid, AuthMethods.Password).AccessToken, 1).GetProperty("jti").GetString();
        var second = TestKeys.Segment(issuer.Issue(user, sid, AuthMethods.Password).AccessToken, 1).GetProperty("jti").GetString();

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Issue_TokenValidatesAgainstThePublicKey()
    {
        var token = issuer.Issue(User(), Guid.NewGuid(), AuthMethods.Password).AccessToken;

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(TestKeys.PublicKey(key)));

        Assert.True(result.IsValid, result.Exception?.ToString());
    }

    [Fact]
    public async Task Issue_TokenFailsAgainstAnotherKey()
    {
        var token = issuer.Issue(User(), Guid.NewGuid(), AuthMethods.Password).AccessToken;
        var other = TestKeys.Store(TestKeys.Secrets(options)).Generate(clock.GetUtcNow(), clock.GetUtcNow());

        // Same kid, so the handler really checks the signature with this key instead of skipping it.
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(TestKeys.PublicKey(other, kidOverride: key.Kid)));

        Assert.False(result.IsValid);
        Assert.IsAssignableFrom<SecurityTokenInvalidSignatureException>(result.Exception);
    }

    private TokenValidationParameters Parameters(SecurityKey signingKey) => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Audience,
        IssuerSigningKey = signingKey,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        ValidTypes = ["at+jwt"],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
    };
}
