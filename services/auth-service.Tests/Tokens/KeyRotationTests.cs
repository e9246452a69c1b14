using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Dapper;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace AuthService.Tests.Tokens;

/// <summary>
/// Scheduled signing-key rotation (ARCHITECTURE.md, "Signing keys and scale-out"): a new key is
/// published <c>PublishLead</c> before it signs and the old one stays published until every token it
/// signed has expired. Time is driven with the factory's clock; key maintenance is the service's
/// own <see cref="SigningKeyMaintenance.MaintainKeysAsync"/>, called the way its 30 s timer calls it.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromDays(2);
    private static readonly TimeSpan Lead = TimeSpan.FromHours(1);
    private static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(15);

    private static readonly Dictionary<string, string?> RotationSettings = new()
    {
        ["Auth:SigningKeys:RotationInterval"] = "2.00:00:00",
        ["Auth:SigningKeys:PublishLead"] = "01:00:00",
    };

    private sealed record KeyRow(string Kid, DateTime NotBefore, DateTime? RetireAt, DateTime? ExpiresAt)
    {
        public DateTimeOffset NotBeforeUtc => Utc(NotBefore);
        public DateTimeOffset? RetireAtUtc => RetireAt is { } r ? Utc(r) : null;
        public DateTimeOffset? ExpiresAtUtc => ExpiresAt is { } e ? Utc(e) : null;
        private static DateTimeOffset Utc(DateTime d) => new(DateTime.SpecifyKind(d, DateTimeKind.Utc));
    }

    private static async Task<AuthServiceFactory> StartAsync(string? connectionString = null, DateTimeOffset? at = null)
    {
        connectionString ??= await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var factory = new AuthServiceFactory(connectionString, RotationSettings);
        factory.Clock.Set(at ?? DateTimeOffset.UtcNow);
        return await factory.StartAsync();
    }

    private static SigningKeyMaintenance Initializer(AuthServiceFactory f) =>
        f.Services.GetRequiredService<SigningKeyMaintenance>();

    private static Task MaintainAsync(AuthServiceFactory f) => Initializer(f).MaintainKeysAsync(CancellationToken.None);

    /// <summary>
    /// A resource server configured from our discovery document (JwtBearer defaults: metadata cached,
    /// refetched on an unknown kid), whose clock agrees with the auth service's test clock so the
    /// simulated days of a rotation pass for both.
    /// </summary>
    private static Task<DownstreamApi> StartDownstreamAsync(AuthServiceFactory auth, CountingHandler backchannel) =>
        DownstreamApi.StartAsync(auth, backchannel: backchannel, configure: o =>
            o.TokenValidationParameters.LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = auth.Clock.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp + p.ClockSkew > now && (notBefore is not { } nbf || nbf - p.ClockSkew <= now);
            });

    private static async Task<List<KeyRow>> KeysAsync(AuthServiceFactory f)
    {
        await using var conn = new NpgsqlConnection(f.ConnectionString);
        return (await conn.QueryAsync<KeyRow>(
            "SELECT kid AS Kid, not_before AS NotBefore, retire_at AS RetireAt, expires_at AS ExpiresAt FROM signing_keys ORDER BY not_before")).ToList();
    }

    private static async Task<(string[] Kids, string ETag, HttpResponseMessage Response)> JwksAsync(AuthServiceFactory f)
    {
        var response = await f.CreateClient().GetAsync("/.well-known/jwks.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var kids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keys").EnumerateArray()
            .Select(k => k.GetProperty("kid").GetString()!).ToArray();
        return (kids, response.Headers.ETag!.Tag, response);
    }

    private static string Kid(string jwt) => TestKeys.Segment(jwt, 0).GetProperty("kid").GetString()!;

    private static async Task<HttpStatusCode> MeAsync(AuthServiceFactory f, string token) =>
        (await new AuthClient(f).GetWithBearerAsync("/auth/me", token)).StatusCode;

    /// <summary>
    /// A token like <paramref name="template"/> (same user and live session) but freshly timed at the
    /// service's clock and signed with <paramref name="credentials"/>: valid in every respect but its key.
    /// </summary>
    private static string Mint(SigningCredentials credentials, string template, DateTimeOffset now)
    {
        var claims = TestKeys.Segment(template, 1);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthServiceFactory.Issuer,
            Audience = "api",
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + AccessTokenLifetime).UtcDateTime,
            TokenType = "at+jwt",
            SigningCredentials = credentials,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = claims.GetProperty("sub").GetString()!,
                ["sid"] = claims.GetProperty("sid").GetString()!,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["email"] = claims.GetProperty("email").GetString()!,
                ["email_verified"] = true,
            },
        });
    }

    [Fact]
    public async Task ScheduledRotation_PublishesAheadSwitchesAtNotBeforeAndRetiresAfterTheLastTokenExpired()
    {
        await using var f = await StartAsync();
        var client = new AuthClient(f);
        var email = await client.CreateVerifiedUserAsync();
        var k1 = Assert.Single(await KeysAsync(f));
        var k1Credentials = f.Services.GetRequiredService<SigningKeyRing>().Current.Signers.Single(s => s.Kid == k1.Kid).Credentials;
        var (kids0, etag0, _) = await JwksAsync(f);
        Assert.Equal([k1.Kid], kids0);
        var due = k1.NotBeforeUtc + Interval;

        // Just before due - lead: nothing to do yet.
        f.Clock.Set(due - Lead - TimeSpan.FromMinutes(1));
        await MaintainAsync(f);
        Assert.Single(await KeysAsync(f));
        var (kidsBefore, etagBefore, _) = await JwksAsync(f);
        Assert.Equal([k1.Kid], kidsBefore);
        Assert.Equal(etag0, etagBefore);

        // Past due - lead: exactly one successor, published now, signing one lead later.
        var scheduledAt = due - Lead + TimeSpan.FromMinutes(1);
        f.Clock.Set(scheduledAt);
        await MaintainAsync(f);
        await MaintainAsync(f); // a second pass (another timer tick, another replica) adds nothing
        var keys = await KeysAsync(f);
        Assert.Equal(2, keys.Count);
        var k2 = keys.Single(k => k.Kid != k1.Kid);
        Assert.Equal(scheduledAt + Lead, k2.NotBeforeUtc, TimeSpan.FromMilliseconds(1));
        var (kidsPublished, etagPublished, _) = await JwksAsync(f);
        Assert.Equal(new[] { k1.Kid, k2.Kid }.Order(), kidsPublished.Order());
        Assert.NotEqual(etag0, etagPublished);
        Assert.Equal(k1.Kid, Kid((await client.SigninAsync(email)).AccessToken)); // published, not yet signing

        // The last token the old key signs, a second before the switch.
        f.Clock.Set(k2.NotBeforeUtc - TimeSpan.FromSeconds(1));
        var lastOld = await client.SigninAsync(email);
        Assert.Equal(k1.Kid, Kid(lastOld.AccessToken));

        // From the successor's not_before on, it signs: chosen at signing time, no reload needed.
        f.Clock.Set(k2.NotBeforeUtc + TimeSpan.FromSeconds(1));
        var firstNew = await client.SigninAsync(email);
        Assert.Equal(k2.Kid, Kid(firstNew.AccessToken));
        await MaintainAsync(f);
        Assert.Equal(k2.Kid, Kid((await client.SigninAsync(email)).AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, lastOld.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, firstNew.AccessToken));

        // The old key's schedule covers every token it signed.
        var k1Retired = (await KeysAsync(f)).Single(k => k.Kid == k1.Kid);
        Assert.Equal(k2.NotBeforeUtc, k1Retired.RetireAtUtc);
        Assert.NotNull(k1Retired.ExpiresAtUtc);
        Assert.True(k1Retired.ExpiresAtUtc >= k1Retired.RetireAtUtc + AccessTokenLifetime,
            $"old key leaves at {k1Retired.ExpiresAtUtc:O}, before its last token expires at {k1Retired.RetireAtUtc + AccessTokenLifetime:O}");

        // Its last token, just before it expires: the key is still published and the token still works.
        var lastOldExp = DateTimeOffset.FromUnixTimeSeconds(TestKeys.Segment(lastOld.AccessToken, 1).GetProperty("exp").GetInt64());
        f.Clock.Set(lastOldExp - TimeSpan.FromSeconds(5));
        await MaintainAsync(f);
        Assert.Contains(k1.Kid, (await JwksAsync(f)).Kids);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, lastOld.AccessToken));
        // A token signed with the old key is accepted as long as the key is in the ring (control for the check below).
        var minted = Mint(k1Credentials, firstNew.AccessToken, f.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, minted));

        f.Clock.Set(k1Retired.ExpiresAtUtc!.Value - TimeSpan.FromSeconds(1));
        await MaintainAsync(f);
        Assert.Contains(k1.Kid, (await JwksAsync(f)).Kids);

        // Then it leaves the JWKS and the ring.
        f.Clock.Set(k1Retired.ExpiresAtUtc!.Value + TimeSpan.FromSeconds(1));
        await MaintainAsync(f);
        var (kidsAfter, etagAfter, _) = await JwksAsync(f);
        Assert.Equal([k2.Kid], kidsAfter);
        Assert.NotEqual(etagPublished, etagAfter);
        Assert.Equal(HttpStatusCode.Unauthorized, await MeAsync(f, lastOld.AccessToken));
        // Refused for its key alone: the same kind of token, freshly timed and for a live session, signed with the removed key.
        var signedIn = await client.SigninAsync(email);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, signedIn.AccessToken));
        var mintedAfter = Mint(k1Credentials, signedIn.AccessToken, f.Clock.GetUtcNow());
        Assert.Equal(k1.Kid, Kid(mintedAfter));
        await ProblemAssert.IsProblemAsync(await new AuthClient(f).GetWithBearerAsync("/auth/me", mintedAfter), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Jwks_MaxAgeIsShorterThanPublishLead_AndETagFollowsTheKeySet()
    {
        await using var f = await StartAsync();
        var (_, etag1, first) = await JwksAsync(f);
        var maxAge = first.Headers.CacheControl?.MaxAge;
        Assert.NotNull(maxAge);
        Assert.True(first.Headers.CacheControl!.Public);
        Assert.True(maxAge < Lead, $"JWKS max-age {maxAge} must be shorter than the publish lead {Lead}");
        Assert.Equal(f.Services.GetRequiredService<IOptions<AuthService.Options.AuthOptions>>().Value.SigningKeys.PublishLead, Lead);

        // Unchanged key set: same ETag, and a conditional request is answered 304.
        Assert.Equal(etag1, (await JwksAsync(f)).ETag);
        var conditional = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        conditional.Headers.TryAddWithoutValidation("If-None-Match", etag1);
        Assert.Equal(HttpStatusCode.NotModified, (await f.CreateClient().SendAsync(conditional)).StatusCode);

        var k1 = Assert.Single(await KeysAsync(f));
        f.Clock.Set(k1.NotBeforeUtc + Interval - Lead + TimeSpan.FromSeconds(1));
        await MaintainAsync(f);
        var (kids2, etag2, _) = await JwksAsync(f);
        Assert.Equal(2, kids2.Length);
        Assert.NotEqual(etag1, etag2);
        var stale = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        stale.Headers.TryAddWithoutValidation("If-None-Match", etag1);
        Assert.Equal(HttpStatusCode.OK, (await f.CreateClient().SendAsync(stale)).StatusCode);
    }

    [Fact]
    public async Task TwoReplicas_MaintainingKeysConcurrentlyAtTheDueTime_CreateExactlyOneNewKey()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var start = DateTimeOffset.UtcNow;
        await using var a = await StartAsync(connectionString, start);
        await using var b = await StartAsync(connectionString, start);
        var k1 = Assert.Single(await KeysAsync(a));

        var dueNow = k1.NotBeforeUtc + Interval - Lead + TimeSpan.FromSeconds(1);
        a.Clock.Set(dueNow);
        b.Clock.Set(dueNow);
        await Task.WhenAll(
            Task.Run(() => MaintainAsync(a)), Task.Run(() => MaintainAsync(b)),
            Task.Run(() => MaintainAsync(a)), Task.Run(() => MaintainAsync(b)));

        var keys = await KeysAsync(a);
        Assert.True(keys.Count == 2, $"{keys.Count} keys after concurrent maintenance: {string.Join(", ", keys)}");
        var jwksA = await a.CreateClient().GetByteArrayAsync("/.well-known/jwks.json");
        var jwksB = await b.CreateClient().GetByteArrayAsync("/.well-known/jwks.json");
        Assert.Equal(jwksA, jwksB);

        // After the switch both sign with the one successor, and accept each other's tokens.
        var k2 = keys.Single(k => k.Kid != k1.Kid);
        a.Clock.Set(k2.NotBeforeUtc + TimeSpan.FromSeconds(1));
        b.Clock.Set(k2.NotBeforeUtc + TimeSpan.FromSeconds(1));
        var fromA = await new AuthClient(a).SignupAndSigninAsync();
        var fromB = await new AuthClient(b).SignupAndSigninAsync();
        Assert.Equal(k2.Kid, Kid(fromA.AccessToken));
        Assert.Equal(k2.Kid, Kid(fromB.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(b, fromA.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(a, fromB.AccessToken));
    }

    [Fact]
    public async Task Downstream_ThatCachedTheJwksAfterPublicationButBeforeTheSwitch_AcceptsTokensThroughTheRotationWithoutRefetching()
    {
        await using var f = await StartAsync();
        var client = new AuthClient(f);
        var email = await client.CreateVerifiedUserAsync();
        var k1 = Assert.Single(await KeysAsync(f));

        // A control downstream that cached the JWKS before the successor was published.
        var earlyBackchannel = new CountingHandler(f.Server.CreateHandler());
        await using var early = await StartDownstreamAsync(f, earlyBackchannel);
        Assert.Equal(HttpStatusCode.OK, (await early.WhoAmIAsync((await client.SigninAsync(email)).AccessToken)).StatusCode);
        var earlyFetches = earlyBackchannel.Count;

        f.Clock.Set(k1.NotBeforeUtc + Interval - Lead + TimeSpan.FromSeconds(1));
        await MaintainAsync(f);
        var k2 = (await KeysAsync(f)).Single(k => k.Kid != k1.Kid);

        // The downstream under test fetches discovery + JWKS once, with its first authenticated call (old key).
        var backchannel = new CountingHandler(f.Server.CreateHandler());
        await using var downstream = await StartDownstreamAsync(f, backchannel);
        var before = await client.SigninAsync(email);
        Assert.Equal(k1.Kid, Kid(before.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(before.AccessToken)).StatusCode);
        var fetches = backchannel.Count;
        Assert.True(fetches >= 1, "the downstream never fetched the JWKS");
        Assert.Contains(backchannel.Paths, p => p.EndsWith("/jwks.json", StringComparison.Ordinal));

        f.Clock.Set(k2.NotBeforeUtc - TimeSpan.FromMinutes(1));
        var lastOld = await client.SigninAsync(email);
        Assert.Equal(k1.Kid, Kid(lastOld.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(lastOld.AccessToken)).StatusCode);

        f.Clock.Set(k2.NotBeforeUtc + TimeSpan.FromSeconds(1));
        var firstNew = await client.SigninAsync(email);
        Assert.Equal(k2.Kid, Kid(firstNew.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(firstNew.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await downstream.WhoAmIAsync(lastOld.AccessToken)).StatusCode);
        Assert.True(fetches == backchannel.Count,
            $"the downstream had to fetch again: {string.Join(", ", backchannel.Paths)}");

        // Control: the downstream whose cache predates the publication does not know the new key and must refetch.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if ((await early.WhoAmIAsync(firstNew.AccessToken)).StatusCode == HttpStatusCode.OK) break;
            await Task.Delay(100);
        }
        Assert.True(earlyBackchannel.Count > earlyFetches, "the control downstream validated a new-key token without refetching; the fetch count proves nothing");
    }

    [Fact]
    public async Task IncidentRotation_WithoutRevoke_NewKeySignsAtOnce_OldTokensStayValid()
    {
        await using var f = await StartAsync();
        var client = new AuthClient(f);
        var email = await client.CreateVerifiedUserAsync();
        var old = await client.SigninAsync(email);
        var k1 = Kid(old.AccessToken);

        var kid = await f.Services.GetRequiredService<SigningKeyStore>()
            .RotateNowAsync(f.Clock.GetUtcNow(), AccessTokenLifetime, revokeCurrent: false, CancellationToken.None);
        await MaintainAsync(f); // the replica's periodic reload

        Assert.NotEqual(k1, kid);
        var fresh = await client.SigninAsync(email);
        Assert.Equal(kid, Kid(fresh.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, old.AccessToken));
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, fresh.AccessToken));
        var kids = (await JwksAsync(f)).Kids;
        Assert.Contains(k1, kids);
        Assert.Contains(kid, kids);

        // Still valid just before the old token's own expiry.
        f.Clock.Advance(AccessTokenLifetime - TimeSpan.FromSeconds(5));
        await MaintainAsync(f);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, old.AccessToken));
    }

    [Fact]
    public async Task IncidentRotation_WithRevoke_RemovesTheOldKeyAndRefusesItsTokens()
    {
        await using var f = await StartAsync();
        var client = new AuthClient(f);
        var email = await client.CreateVerifiedUserAsync();
        var old = await client.SigninAsync(email);
        var k1 = Kid(old.AccessToken);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, old.AccessToken));

        var kid = await f.Services.GetRequiredService<SigningKeyStore>()
            .RotateNowAsync(f.Clock.GetUtcNow(), AccessTokenLifetime, revokeCurrent: true, CancellationToken.None);
        await MaintainAsync(f);

        Assert.Equal([kid], (await JwksAsync(f)).Kids);
        await ProblemAssert.IsProblemAsync(await client.GetWithBearerAsync("/auth/me", old.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
        var fresh = await client.SigninAsync(email);
        Assert.Equal(kid, Kid(fresh.AccessToken));
        Assert.NotEqual(k1, kid);
        Assert.Equal(HttpStatusCode.OK, await MeAsync(f, fresh.AccessToken));
    }

    [Theory]
    [InlineData("00:04:00")]
    [InlineData("00:00:30")]
    public async Task Startup_WithPublishLeadShorterThanJwksMaxAge_FailsNamingPublishLead(string lead)
    {
        Assert.True(TimeSpan.Parse(lead) < new AuthService.Options.SigningKeyOptions().JwksMaxAge);
        var message = await AuthServiceFactory.StartupFailureAsync("Host=127.0.0.1;Port=1;Database=unused;Timeout=1",
            new Dictionary<string, string?> { ["Auth:SigningKeys:PublishLead"] = lead });
        Assert.Contains("Auth:SigningKeys:PublishLead", message);
    }
}

/// <summary>Counts what a downstream validator asks the auth service for (discovery, JWKS).</summary>
internal sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly List<string> paths = [];

    public int Count { get { lock (paths) return paths.Count; } }
    public IReadOnlyList<string> Paths { get { lock (paths) return [.. paths]; } }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        lock (paths) paths.Add(request.RequestUri!.AbsolutePath);
        return base.SendAsync(request, ct);
    }
}

