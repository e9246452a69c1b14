// What every refresh answer costs before its database work: read the cookie, sign an access token with the claims the
// service puts in one (ES256, Microsoft.IdentityModel.JsonWebTokens), set the next cookie, answer the JSON. POST
// /auth/refresh is compared with this in `make bench`: the gap is the service's own work and the rotation's.
using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
var credentials = new SigningCredentials(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "bench" },
    SecurityAlgorithms.EcdsaSha256);
var user = new TokenUser(Guid.NewGuid(), "bench@example.com", true, null, DateTimeOffset.UtcNow, [], new TokenUserMfa(false, 0));

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SignedTokenJson.Default));
var app = builder.Build();
app.MapPost("/auth/refresh", (HttpContext http) =>
{
    if (string.IsNullOrEmpty(http.Request.Cookies["__Secure-refresh_token"])) return Results.Unauthorized();
    var now = DateTime.UtcNow;
    var token = handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "http://127.0.0.1",
        Audience = "api",
        IssuedAt = now,
        NotBefore = now,
        Expires = now.AddMinutes(15),
        TokenType = "at+jwt",
        SigningCredentials = credentials,
        Claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = user.Id.ToString(),
            ["sid"] = Guid.NewGuid().ToString(),
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            [JwtRegisteredClaimNames.Email] = user.Email,
            ["email_verified"] = user.EmailVerified,
            ["roles"] = user.Roles.ToArray(),
            ["amr"] = new[] { "pwd" },
        },
    });
    http.Response.Cookies.Append("__Secure-refresh_token", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(48)), new CookieOptions
    {
        HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/auth", MaxAge = TimeSpan.FromDays(30), IsEssential = true,
    });
    return Results.Ok(new TokenAnswer(token, "Bearer", 900, user));
});
await app.RunAsync();
