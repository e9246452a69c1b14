using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Tokens;

/// <summary>GET /.well-known/jwks.json and /.well-known/openid-configuration, and how keys are kept at rest.</summary>
public sealed class WellKnownEndpointsTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string JwksPath = "/.well-known/jwks.json";

    private async Task<(HttpResponseMessage Response, JsonElement[] Keys)> GetJwksAsync()
    {
        var response = await fixture.NewClient().Http.GetAsync(JwksPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response, body.GetProperty("keys").EnumerateArray().ToArray());
    }

    [Fact]
    public async Task Jwks_PublishesEs256PublicKeys()
    {
        var (response, keys) = await GetJwksAsync();

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.Equal("P-256", key.GetProperty("crv").GetString());
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
            Assert.False(string.IsNullOrEmpty(key.GetProperty("kid").GetString()));
            Assert.Equal(32, Base64Url.DecodeFromChars(key.GetProperty("x").GetString()).Length);
            Assert.Equal(32, Base64Url.DecodeFromChars(key.GetProperty("y").GetString()).Length);
        }
    }

    [Fact]
    public async Task Jwks_NeverPublishesPrivateKeyMaterial()
    {
        var (_, keys) = await GetJwksAsync();

        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.False(key.TryGetProperty("d", out _), $"JWKS key {key} has a private member 'd'");
            // Only public members of an EC JWK (RFC 7517/7518) are allowed.
            var allowed = new HashSet<string> { "kty", "crv", "x", "y", "kid", "use", "alg", "key_ops" };
            Assert.All(key.EnumerateObject(), m => Assert.Contains(m.Name, allowed));
        }
    }

    [Fact]
    public async Task Jwks_PublishesTheKeyThatSignsAccessTokens()
    {
        var signedIn = await fixture.NewClient().SignupAndSigninAsync();
        var kid = TestKeys.Segment(signedIn.AccessToken, 0).GetProperty("kid").GetString();

        var (_, keys) = await GetJwksAsync();

        Assert.Contains(keys, k => k.GetProperty("kid").GetString() == kid);
    }

    [Fact]
    public async Task Jwks_IsPubliclyCacheableWithMaxAge()
    {
        var (response, _) = await GetJwksAsync();

        var cache = response.Headers.CacheControl;
        Assert.NotNull(cache);
        Assert.True(cache.Public, $"Cache-Control: {cache}");
        Assert.True(cache.MaxAge > TimeSpan.Zero, $"Cache-Control: {cache}");
    }

    [Fact]
    public async Task Jwks_IfNoneMatchWithItsETag_Returns304()
    {
        var (first, _) = await GetJwksAsync();
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        var request = new HttpRequestMessage(HttpMethod.Get, JwksPath);
        request.Headers.IfNoneMatch.Add(etag);
        var response = await fixture.NewClient().Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, response.Headers.ETag);
    }

    [Fact]
    public async Task Jwks_IfNoneMatchWithAnotherETag_Returns200()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, JwksPath);
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        var response = await fixture.NewClient().Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    // The list form of If-None-Match is tested over real HTTP in Http/OverTheWireTests: the
    // in-memory test server splits one header line into separate values.

    [Fact]
    public async Task SigningKeys_PrivateKeyIsStoredEncryptedUnderTheKek()
    {
        var (_, keys) = await GetJwksAsync();
        await using var conn = fixture.NewClient().OpenDatabase();
        var rows = (await conn.QueryAsync<(string Kid, byte[] PrivateKey, string KekId)>("SELECT kid, private_key, kek_id FROM signing_keys")).ToList();
        Assert.NotEmpty(rows);

        var secrets = TestKeys.Secrets(TestKeys.Options(kek: AuthServiceFactory.KeyEncryptionKey));
        foreach (var (kid, stored, kekId) in rows)
        {
            // Not usable as it sits in the database: not PKCS#8, not any other key encoding.
            using (var probe = ECDsa.Create())
            {
                Assert.ThrowsAny<CryptographicException>(() => probe.ImportPkcs8PrivateKey(stored, out _));
                Assert.ThrowsAny<CryptographicException>(() => probe.ImportECPrivateKey(stored, out _));
            }

            // The KEK (bound to the kid) opens it, and it is the private half of the published key.
            Assert.Equal("legacy", kekId); // the single Auth:KeyEncryptionKey's id
            var pkcs8 = secrets.Open(stored, kekId, kid);
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
            var q = ecdsa.ExportParameters(includePrivateParameters: false).Q;
            var published = Assert.Single(keys, k => k.GetProperty("kid").GetString() == kid);
            Assert.Equal(published.GetProperty("x").GetString(), Base64Url.EncodeToString(q.X));
            Assert.Equal(published.GetProperty("y").GetString(), Base64Url.EncodeToString(q.Y));

            var otherKek = TestKeys.Secrets(TestKeys.Options());
            Assert.ThrowsAny<CryptographicException>(() => otherKek.Open(stored, kekId, kid));
        }
    }

    [Fact]
    public async Task Discovery_NamesIssuerAndJwksUri()
    {
        var response = await fixture.NewClient().Http.GetAsync("/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var doc = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://auth.test", doc.GetProperty("issuer").GetString());
        Assert.Equal("https://auth.test/.well-known/jwks.json", doc.GetProperty("jwks_uri").GetString());
    }
}
