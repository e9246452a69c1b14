using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AuthService.Tests.Abuse;

/// <summary>
/// Forged and mangled access tokens against both GET /auth/me (401 unauthorized with
/// WWW-Authenticate error="invalid_token") and a downstream JwtBearer host configured only from our
/// discovery document (401). A control proves the forging kit makes tokens both accept when they
/// are genuinely valid, so each refusal is about the one thing the attack changed.
/// </summary>
[Trait("Category", "Slow")]
public sealed class JwtAttackTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private AuthServiceFactory Auth => fixture.Factory;

    private sealed record Victim(SignedIn SignedIn, string Sub, string Sid, string Email)
    {
        public JsonObject Payload => Jwt.Payload(SignedIn.AccessToken);
        public string Kid => Jwt.Header(SignedIn.AccessToken)["kid"]!.GetValue<string>();
    }

    private sealed record Context(Victim Victim, Victim Other, ECDsa RealKey, string RealKid, JsonElement Jwk, DateTimeOffset Now);

    private async Task<Victim> NewVictimAsync()
    {
        var signedIn = await new AuthClient(Auth).SignupAndSigninAsync();
        var payload = Jwt.Payload(signedIn.AccessToken);
        return new Victim(signedIn, payload["sub"]!.GetValue<string>(), payload["sid"]!.GetValue<string>(), payload["email"]!.GetValue<string>());
    }

    private async Task<Context> ContextAsync()
    {
        // The downstream host validates against real time; keep the service's clock on it too.
        Auth.Clock.Set(DateTimeOffset.UtcNow);
        var victim = await NewVictimAsync();
        var other = await NewVictimAsync();
        var signer = Auth.Services.GetRequiredService<SigningKeyRing>().Current.SignerAt(Auth.Clock.GetUtcNow());
        var realKey = ((ECDsaSecurityKey)signer.Credentials.Key).ECDsa;
        using var http = Auth.CreateClient();
        var jwks = await http.GetFromJsonAsync<JsonElement>("/.well-known/jwks.json");
        var jwk = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == signer.Kid);
        Assert.Equal(signer.Kid, victim.Kid);
        return new Context(victim, other, realKey, signer.Kid, jwk, DateTimeOffset.UtcNow);
    }

    private static ECDsa PublicKeyOf(JsonElement jwk) => ECDsa.Create(new ECParameters
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = Jwt.Unb64(jwk.GetProperty("x").GetString()!), Y = Jwt.Unb64(jwk.GetProperty("y").GetString()!) },
    });

    private static string WithRealKey(Context c, JsonObject payload, JsonObject? header = null) =>
        Jwt.Make(header ?? Jwt.Es256Header(c.RealKid), payload, Jwt.Es256(c.RealKey));

    private static JsonObject ValidClaims(Context c) => Jwt.Claims(c.Victim.Sub, c.Victim.Sid, c.Victim.Email, c.Now);

    private static string ForeignEs256(Context c, string? kid)
    {
        using var foreign = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var claims = ValidClaims(c);
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthServiceFactory.Issuer,
            Audience = "api",
            IssuedAt = c.Now.UtcDateTime,
            NotBefore = c.Now.UtcDateTime,
            Expires = c.Now.AddMinutes(15).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(foreign) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = c.Victim.Sub, ["sid"] = c.Victim.Sid, ["jti"] = claims["jti"]!.GetValue<string>(),
                ["email"] = c.Victim.Email, ["email_verified"] = true,
            },
        });
    }

    private static string Hs256(Context c, byte[] secret, string? kid) =>
        Jwt.Make(new JsonObject { ["alg"] = "HS256", ["typ"] = "at+jwt", ["kid"] = kid }, c.Victim.Payload, Jwt.Hs256(secret));

    private static JsonObject WithCrit(Context c, JsonArray crit)
    {
        var header = Jwt.Es256Header(c.RealKid);
        header["crit"] = crit;
        return header;
    }

    private static string ReplaceSegment(string token, int index, string segment)
    {
        var parts = token.Split('.');
        parts[index] = segment;
        return string.Join('.', parts);
    }

    // The formatter would put the `)` after every block-bodied lambda in this table on a line of its own.
#pragma warning disable format
    /// <summary>Every attack by name; <c>MeOnly</c> ones are refused by /auth/me's stricter rules but not required of a generic JwtBearer host.</summary>
    private static readonly Dictionary<string, (bool MeOnly, Func<Context, string> Forge)> Attacks = new()
    {
        ["alg none, real payload"] = (false, c => Jwt.Make(new JsonObject { ["alg"] = "none", ["typ"] = "at+jwt", ["kid"] = c.RealKid }, c.Victim.Payload, Jwt.NoSignature)),
        ["alg None (capitalised)"] = (false, c => Jwt.Make(new JsonObject { ["alg"] = "None", ["typ"] = "at+jwt", ["kid"] = c.RealKid }, c.Victim.Payload, Jwt.NoSignature)),
        ["alg none, real signature kept"] = (false, c => ReplaceSegment(c.Victim.SignedIn.AccessToken, 0, Jwt.B64(new JsonObject { ["alg"] = "none", ["typ"] = "at+jwt", ["kid"] = c.RealKid }.ToJsonString()))),
        ["ES256 header, signature stripped"] = (false, c => ReplaceSegment(c.Victim.SignedIn.AccessToken, 2, "")),
        ["HS256 keyed with JWKS x||y"] = (false, c => Hs256(c, [.. Jwt.Unb64(c.Jwk.GetProperty("x").GetString()!), .. Jwt.Unb64(c.Jwk.GetProperty("y").GetString()!)], c.RealKid)),
        ["HS256 keyed with the SubjectPublicKeyInfo (DER)"] = (false, c => { using var pub = PublicKeyOf(c.Jwk); return Hs256(c, pub.ExportSubjectPublicKeyInfo(), c.RealKid); }),
        ["HS256 keyed with the public key PEM"] = (false, c => { using var pub = PublicKeyOf(c.Jwk); return Hs256(c, Encoding.ASCII.GetBytes(pub.ExportSubjectPublicKeyInfoPem()), c.RealKid); }),
        ["HS256 keyed with the JWK JSON"] = (false, c => Hs256(c, Encoding.UTF8.GetBytes(c.Jwk.GetRawText()), c.RealKid)),
        ["HS256, kid ../../../../dev/null, empty key"] = (false, c => Hs256(c, [], "../../../../dev/null")),
        ["foreign ES256 key claiming the real kid"] = (false, c => ForeignEs256(c, c.RealKid)),
        ["foreign ES256 key, kid ../../etc/passwd"] = (false, c => ForeignEs256(c, "../../etc/passwd")),
        ["foreign ES256 key, kid ' OR 1=1--"] = (false, c => ForeignEs256(c, "' OR 1=1--")),
        ["foreign ES256 key, no kid"] = (false, c => ForeignEs256(c, null)),
        ["foreign ES256 key embedded as a jwk header"] = (false, c =>
        {
            using var foreign = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var q = foreign.ExportParameters(false).Q;
            var header = Jwt.Es256Header(c.RealKid);
            header["jwk"] = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Jwt.B64(q.X!), ["y"] = Jwt.B64(q.Y!), ["kid"] = c.RealKid };
            return Jwt.Make(header, c.Victim.Payload, Jwt.Es256(foreign));
        }),
        ["tampered payload: another user's sub and sid"] = (false, c =>
        {
            var payload = c.Victim.Payload;
            payload["sub"] = c.Other.Sub;
            payload["sid"] = c.Other.Sid;
            return ReplaceSegment(c.Victim.SignedIn.AccessToken, 1, Jwt.B64(payload.ToJsonString()));
        }),
        ["tampered payload: exp pushed a day out"] = (false, c =>
        {
            var payload = c.Victim.Payload;
            payload["exp"] = payload["exp"]!.GetValue<long>() + 86_400;
            return ReplaceSegment(c.Victim.SignedIn.AccessToken, 1, Jwt.B64(payload.ToJsonString()));
        }),
        ["tampered signature: one bit"] = (false, c =>
        {
            var signature = Jwt.Unb64(c.Victim.SignedIn.AccessToken.Split('.')[2]);
            signature[7] ^= 0x01;
            return ReplaceSegment(c.Victim.SignedIn.AccessToken, 2, Jwt.B64(signature));
        }),
        ["signature of another genuine token"] = (false, c => ReplaceSegment(c.Victim.SignedIn.AccessToken, 2, c.Other.SignedIn.AccessToken.Split('.')[2])),
        ["expired (real key)"] = (false, c =>
        {
            var claims = ValidClaims(c);
            claims["iat"] = Jwt.Unix(c.Now.AddMinutes(-30));
            claims["nbf"] = Jwt.Unix(c.Now.AddMinutes(-30));
            claims["exp"] = Jwt.Unix(c.Now.AddMinutes(-10));
            return WithRealKey(c, claims);
        }),
        ["not yet valid: nbf in the future (real key)"] = (false, c =>
        {
            var claims = ValidClaims(c);
            claims["nbf"] = Jwt.Unix(c.Now.AddMinutes(10));
            claims["exp"] = Jwt.Unix(c.Now.AddMinutes(25));
            return WithRealKey(c, claims);
        }),
        ["no exp (real key)"] = (false, c =>
        {
            var claims = ValidClaims(c);
            claims.Remove("exp");
            return WithRealKey(c, claims);
        }),
        ["wrong iss (real key)"] = (false, c => WithRealKey(c, Jwt.Claims(c.Victim.Sub, c.Victim.Sid, c.Victim.Email, c.Now, iss: "https://evil.test"))),
        ["iss with a trailing slash (real key)"] = (false, c => WithRealKey(c, Jwt.Claims(c.Victim.Sub, c.Victim.Sid, c.Victim.Email, c.Now, iss: AuthServiceFactory.Issuer + "/"))),
        ["wrong aud (real key)"] = (false, c => WithRealKey(c, Jwt.Claims(c.Victim.Sub, c.Victim.Sid, c.Victim.Email, c.Now, aud: "other"))),
        ["no aud (real key)"] = (false, c =>
        {
            var claims = ValidClaims(c);
            claims.Remove("aud");
            return WithRealKey(c, claims);
        }),
        ["typ JWT instead of at+jwt (real key)"] = (true, c => WithRealKey(c, ValidClaims(c), Jwt.Es256Header(c.RealKid, typ: "JWT"))),
        ["sid of another user's session (real key)"] = (true, c => WithRealKey(c, Jwt.Claims(c.Victim.Sub, c.Other.Sid, c.Victim.Email, c.Now))),
        // RFC 7515 §4.1.11: extensions marked critical must be understood or the token refused; we understand none.
        ["crit [\"exp\"] (real key)"] = (false, c => WithRealKey(c, ValidClaims(c), WithCrit(c, new JsonArray("exp")))),
        ["crit [\"foo\"] with a foo member (real key)"] = (false, c =>
        {
            var header = WithCrit(c, new JsonArray("foo"));
            header["foo"] = "bar";
            return WithRealKey(c, ValidClaims(c), header);
        }),
        ["crit [] (real key)"] = (false, c => WithRealKey(c, ValidClaims(c), WithCrit(c, []))),
        ["not a JWT at all"] = (false, _ => "not-a-jwt"),
        ["five segments (JWE shape)"] = (false, c => c.Victim.SignedIn.AccessToken + ".AAAA.BBBB"),
    };
#pragma warning restore format

    public static TheoryData<string> AttackNames() => [.. Attacks.Keys];

    private async Task AssertMeRefusesAsync(string token, string attack)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/auth/me");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        using var http = Auth.CreateClient();
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"/auth/me accepted '{attack}': {(int)response.StatusCode} {body}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Contains("error=\"invalid_token\"", challenge);
    }

    [Fact]
    public async Task Control_GenuineAndKitMadeTokens_AreAcceptedByBoth()
    {
        var c = await ContextAsync();
        await using var downstream = await DownstreamApi.StartAsync(Auth);
        using var http = Auth.CreateClient();

        foreach (var token in new[] { c.Victim.SignedIn.AccessToken, WithRealKey(c, ValidClaims(c)) })
        {
            var me = new HttpRequestMessage(HttpMethod.Get, "/auth/me");
            me.Headers.Authorization = new("Bearer", token);
            var meResponse = await http.SendAsync(me);
            Assert.Equal(HttpStatusCode.OK, meResponse.StatusCode);
            Assert.Equal(c.Victim.Email, (await meResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("email").GetString());

            var whoami = await downstream.WhoAmIAsync(token);
            Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
            Assert.Equal(c.Victim.Sub, await whoami.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [MemberData(nameof(AttackNames))]
    public async Task ForgedToken_IsRefused(string attack)
    {
        var c = await ContextAsync();
        var (meOnly, forge) = Attacks[attack];
        var token = forge(c);

        await AssertMeRefusesAsync(token, attack);

        if (meOnly) return;
        await using var downstream = await DownstreamApi.StartAsync(Auth);
        var response = await downstream.WhoAmIAsync(token);
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"downstream accepted '{attack}': {(int)response.StatusCode}");
        // The genuine token still works downstream: the refusal is about the forgery.
        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(c.Victim.SignedIn.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task TokenOfARevokedSession_IsRefusedByMe()
    {
        var c = await ContextAsync();
        var client = new AuthClient(Auth);
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(c.Victim.SignedIn.RefreshToken)).StatusCode);

        await AssertMeRefusesAsync(c.Victim.SignedIn.AccessToken, "revoked session");
        // Also when re-signed with the real key and fresh times: the session, not the token, is dead.
        await AssertMeRefusesAsync(WithRealKey(c, ValidClaims(c)), "revoked session, fresh token");
    }

    [Fact]
    public async Task TokenOfARevokedSession_DownstreamWithoutSidCheck_AcceptsItUntilExp_AsTheContractSays()
    {
        // API.md: "access tokens already issued stay valid until exp (short lifetime) unless the
        // resource server checks sid". A plain JwtBearer host does not; this pins that documented limit.
        var c = await ContextAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await new AuthClient(Auth).LogoutAsync(c.Victim.SignedIn.RefreshToken)).StatusCode);
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(c.Victim.SignedIn.AccessToken)).StatusCode);
        var exp = DateTimeOffset.FromUnixTimeSeconds(c.Victim.Payload["exp"]!.GetValue<long>());
        Assert.True(exp - DateTimeOffset.UtcNow <= TimeSpan.FromMinutes(15), $"exp {exp:O} is further out than the access-token lifetime");
    }
}
