using System.Net;
using System.Security.Cryptography;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Abuse;

/// <summary>One migrated database for the class; each test starts its own service instance (and so its own limiter) on it.</summary>
public sealed class SharedDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var warmup = await new AuthServiceFactory(ConnectionString).StartAsync(); // migrates once
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// Per-client limits on the endpoints that take credentials or send mail (RateLimits:PermitLimit per
/// RateLimits:Window): the request over the limit is 429 rate_limited with Retry-After.
/// </summary>
public sealed class RateLimitTests(SharedDatabase db) : IClassFixture<SharedDatabase>
{
    private const int Limit = 5;

    private static Dictionary<string, string?> LowLimit(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["RateLimits:PermitLimit"] = Limit.ToString(), ["RateLimits:Window"] = "00:01:00" };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    private static string RandomToken() => Jwt.B64(RandomNumberGenerator.GetBytes(32));

    /// <summary>A well-formed request to each limited endpoint; <paramref name="i"/> keeps each one distinct.</summary>
    public static HttpRequestMessage LimitedRequest(string endpoint, int i) => endpoint switch
    {
        "/auth/signin" => AbuseKit.Json(HttpMethod.Post, endpoint, AbuseKit.Body(new { email = AuthClient.NewEmail($"rl{i}"), password = "not the right password at all" })),
        "/auth/signup" => AbuseKit.Json(HttpMethod.Post, endpoint, AbuseKit.Body(new { email = AuthClient.NewEmail($"rl{i}"), password = AuthClient.DefaultPassword })),
        "/auth/resend-verification" or "/auth/password/forgot" => AbuseKit.Json(HttpMethod.Post, endpoint, AbuseKit.Body(new { email = AuthClient.NewEmail($"rl{i}") })),
        "/auth/password/reset" => AbuseKit.Json(HttpMethod.Post, endpoint, AbuseKit.Body(new { token = RandomToken(), newPassword = AuthClient.DefaultPassword })),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    };

    public static TheoryData<string> LimitedEndpoints() =>
        ["/auth/signin", "/auth/signup", "/auth/resend-verification", "/auth/password/forgot", "/auth/password/reset"];

    [Theory]
    [MemberData(nameof(LimitedEndpoints))]
    public async Task SixthRequestInWindow_IsRateLimited_WithRetryAfter(string endpoint)
    {
        await using var factory = await new AuthServiceFactory(db.ConnectionString, LowLimit()).StartAsync();
        using var http = factory.CreateClient();

        for (var i = 0; i < Limit; i++)
        {
            var allowed = await http.SendAsync(LimitedRequest(endpoint, i));
            Assert.True(allowed.StatusCode != HttpStatusCode.TooManyRequests && (int)allowed.StatusCode < 500,
                $"request {i + 1} of {Limit} to {endpoint}: {(int)allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
        }

        var limited = await http.SendAsync(LimitedRequest(endpoint, Limit));

        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = AbuseKit.RetryAfterSeconds(limited);
        Assert.InRange(retryAfter, 1, 60);
        // Endpoints outside the limited set keep answering.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task PasswordChange_IsRateLimited_SoAStolenAccessTokenCannotGuessThePassword()
    {
        // The user is set up through an instance without the low limit; the limited one shares the database and keys.
        await using var setup = await new AuthServiceFactory(db.ConnectionString).StartAsync();
        var victim = await new AuthClient(setup).SignupAndSigninAsync();
        await using var factory = await new AuthServiceFactory(db.ConnectionString, LowLimit()).StartAsync();
        var client = new AuthClient(factory);

        Task<HttpResponseMessage> Guess(int i) => client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", victim.AccessToken,
            new { currentPassword = $"guess number {i} for the password", newPassword = "a brand new passphrase 2026" });

        for (var i = 0; i < Limit; i++)
            await ProblemAssert.IsProblemAsync(await Guess(i), HttpStatusCode.Unauthorized, "invalid_credentials");
        var limited = await Guess(Limit);

        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(AbuseKit.RetryAfterSeconds(limited), 1, 60);
    }

    [Fact]
    public async Task OverRealSockets_TrustedProxy_ForwardedClientsGetSeparateBuckets()
    {
        var (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync(LowLimit(("RateLimits:TrustedProxies:0", "127.0.0.1")), db.ConnectionString);
        await using var _ = factory;
        using var http = new HttpClient { BaseAddress = baseAddress };

        Task<HttpResponseMessage> ForgotAsync(int i, string? forwardedFor)
        {
            var request = LimitedRequest("/auth/password/forgot", i);
            if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
            return http.SendAsync(request);
        }

        for (var i = 0; i < Limit; i++)
            Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(i, "203.0.113.10")).StatusCode);
        await ProblemAssert.IsProblemAsync(await ForgotAsync(Limit, "203.0.113.10"), HttpStatusCode.TooManyRequests, "rate_limited");

        // Another client behind the same trusted proxy, and the proxy itself, have their own budgets.
        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(100, "203.0.113.11")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(101, null)).StatusCode);
        // And the limited client stays limited whatever its port or spacing in the header.
        await ProblemAssert.IsProblemAsync(await ForgotAsync(102, " 203.0.113.10 "), HttpStatusCode.TooManyRequests, "rate_limited");
    }

    [Fact]
    public async Task OverRealSockets_UntrustedForwardedFor_IsIgnored_AllShareTheCallersBucket()
    {
        var (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync(LowLimit(), db.ConnectionString);
        await using var _ = factory;
        using var http = new HttpClient { BaseAddress = baseAddress };

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= Limit; i++)
        {
            // An attacker rotating X-Forwarded-For must not get a fresh budget per value.
            var request = LimitedRequest("/auth/password/forgot", i);
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (i == Limit) await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited");
        }
        Assert.All(statuses.Take(Limit), s => Assert.Equal(HttpStatusCode.Accepted, s));
    }

    [Fact]
    public async Task OverRealSockets_UntrustedForwardedFor_IsNotRecordedAsTheClientAddress()
    {
        var (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync(LowLimit(), db.ConnectionString);
        await using var _ = factory;
        using var http = new HttpClient { BaseAddress = baseAddress };
        var email = AuthClient.NewEmail("xff");
        var request = AbuseKit.Json(HttpMethod.Post, "/auth/signin", AbuseKit.Body(new { email, password = "not the right password at all" }));
        request.Headers.Add("X-Forwarded-For", "198.51.100.77");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);

        await using var conn = new Npgsql.NpgsqlConnection(db.ConnectionString);
        var ip = await Dapper.SqlMapper.ExecuteScalarAsync<string>(conn,
            "SELECT ip FROM audit_events WHERE kind = 'signin_failed' AND details->>'email' = @email", new { email });
        Assert.Equal("127.0.0.1", ip);
    }

    [Fact]
    public async Task OverRealSockets_UntrustedForwardedProto_IsIgnored_NoHstsOverPlainHttp()
    {
        var (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync(LowLimit(), db.ConnectionString);
        await using var _ = factory;
        using var http = new HttpClient { BaseAddress = baseAddress };
        var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-Forwarded-Proto", "https");

        var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Plain http from a client nobody vouches for: the request is not https, whatever it claims.
        Assert.Empty(AbuseKit.Header(response, "Strict-Transport-Security"));
    }
}
