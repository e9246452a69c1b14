using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Abuse;

/// <summary>
/// A hostile User-Agent must never skip security bookkeeping. Cutting 511×'a' + "😀" at 512 UTF-16
/// units used to leave a lone surrogate that Npgsql refused to encode: the request answered 500 and
/// the failed signin was not counted (a lockout bypass), a reused refresh token left no audit trail,
/// a logout left its session alive. Whatever the header holds, the answer is the normal one, the
/// bookkeeping happens, and what is stored is valid, bounded text without control characters.
/// </summary>
public sealed class HostileHeaderTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string WrongPassword = "definitely not the password 99";

    /// <summary>Each one is cut at 512 UTF-16 units in the middle of a surrogate pair, or is invalid from the start.</summary>
    public static TheoryData<string, string> HostileAgents() => new()
    {
        { "511 × 'a' + emoji", new string('a', 511) + "😀" },
        { "lone high surrogate", "Mozilla/5.0 \ud800 x" },
        { "lone low surrogate", "\udc00Mozilla" },
        { "control and bidi characters", "Mozilla\u0001\u001b[31m\u007f\u0085\u202Egnp.exe\u2028" },
        { "long emoji run", string.Concat(Enumerable.Repeat("👩‍💻", 400)) },
    };

    private AuthServiceFactory Factory => fixture.Factory;

    [Theory]
    [MemberData(nameof(HostileAgents), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public async Task FailedSignin_WithHostileUserAgent_IsCountedAndAudited(string name, string agent)
    {
        var email = AuthClient.NewEmail("ua");
        var response = await SendAsync(HttpMethod.Post, "/auth/signin", agent, body: new { email, password = WrongPassword });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        Assert.Equal(1, await conn.QuerySingleOrDefaultAsync<int>("SELECT count FROM signin_failures WHERE email = @email", new { email }));
        var stored = await conn.QuerySingleAsync<string>(
            "SELECT user_agent FROM audit_events WHERE kind = 'signin_failed' AND details->>'email' = @email", new { email });
        AssertCleanAndBounded(stored, name);
    }

    [Theory]
    [MemberData(nameof(HostileAgents), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public async Task RefreshReuse_WithHostileUserAgent_RevokesAndAudits(string name, string agent)
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var second = AuthClient.RefreshCookieValue(await client.RefreshAsync(signedIn.RefreshToken))!;
        Assert.NotNull(AuthClient.RefreshCookieValue(await client.RefreshAsync(second)));

        // The first token is now two generations old: reuse, presented with the hostile header.
        var response = await SendAsync(HttpMethod.Post, "/auth/refresh", agent, cookie: signedIn.RefreshToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        var (sub, sid) = Ids(signedIn);
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        Assert.NotNull(await conn.QuerySingleAsync<DateTime?>("SELECT revoked_at FROM sessions WHERE id = @sid", new { sid }));
        var stored = await conn.QuerySingleAsync<string>(
            "SELECT user_agent FROM audit_events WHERE kind = 'refresh_reused' AND user_id = @sub", new { sub });
        AssertCleanAndBounded(stored, name);
    }

    [Theory]
    [MemberData(nameof(HostileAgents), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public async Task Logout_WithHostileUserAgent_RevokesTheSession(string name, string agent)
    {
        var signedIn = await fixture.NewClient().SignupAndSigninAsync();

        var response = await SendAsync(HttpMethod.Post, "/auth/logout", agent, cookie: signedIn.RefreshToken);

        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var (_, sid) = Ids(signedIn);
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        Assert.NotNull(await conn.QuerySingleAsync<DateTime?>("SELECT revoked_at FROM sessions WHERE id = @sid", new { sid }));
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.NewClient().RefreshAsync(signedIn.RefreshToken)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(HostileAgents), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public async Task Signin_WithHostileUserAgent_StoresACleanSessionDevice(string name, string agent)
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var response = await SendAsync(HttpMethod.Post, "/auth/signin", agent, body: new { email, password = AuthClient.DefaultPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var signedIn = await AuthClient.ReadSignedInAsync(response);

        var sessions = await client.GetWithBearerAsync("/auth/sessions", signedIn.AccessToken);
        Assert.Equal(HttpStatusCode.OK, sessions.StatusCode);
        var (_, sid) = Ids(signedIn);
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        AssertCleanAndBounded(await conn.QuerySingleAsync<string>("SELECT user_agent FROM sessions WHERE id = @sid", new { sid }), name);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string agent, object? body = null, string? cookie = null)
    {
        var request = new HttpRequestMessage(method, path);
        // The in-memory server hands the string over as is, lone surrogates included.
        Assert.True(request.Headers.TryAddWithoutValidation("User-Agent", agent));
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{AuthClient.CookieName}={cookie}");
            request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        }
        return await fixture.NewClient().Http.SendAsync(request);
    }

    private static (Guid Sub, Guid Sid) Ids(SignedIn signedIn)
    {
        var payload = Jwt.Payload(signedIn.AccessToken);
        return (Guid.Parse(payload["sub"]!.GetValue<string>()), Guid.Parse(payload["sid"]!.GetValue<string>()));
    }

    /// <summary>Well-formed UTF-16, at most 512 units, no control, format or line-separator characters.</summary>
    internal static void AssertCleanAndBounded(string? stored, string name)
    {
        Assert.NotNull(stored);
        Assert.True(stored.Length is > 0 and <= 512, $"{name}: stored user agent has {stored.Length} UTF-16 units");
        var rest = stored.AsSpan();
        while (!rest.IsEmpty)
        {
            Assert.True(Rune.DecodeFromUtf16(rest, out var rune, out var consumed) == OperationStatus.Done, $"{name}: stored user agent is not valid UTF-16");
            Assert.False(Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator,
                $"{name}: stored user agent holds U+{rune.Value:X4}");
            rest = rest[consumed..];
        }
    }
}

/// <summary>
/// The same over a real socket, where a header is bytes: control bytes reach the service and are
/// cleaned before they are stored, and bytes that are not UTF-8 (an encoded surrogate ED A0 80, an
/// overlong C0 AF, a bare FF) reach it as U+FFFD: the signin is answered, counted and audited.
/// </summary>
public sealed class RawHostileHeaderTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;
    private Uri baseAddress = null!;

    public async Task InitializeAsync() => (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync();

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private static string Signin(string email, string agentLatin1)
    {
        var body = $"{{\"email\":\"{email}\",\"password\":\"definitely not the password 99\"}}";
        return $"POST /auth/signin HTTP/1.1\r\nHost: x\r\nUser-Agent: {agentLatin1}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}";
    }

    // Latin-1 strings: each character is one raw byte on the wire.
    public static TheoryData<string, string> ControlBytes() => new()
    {
        { "C0 controls", "Mozilla\u0001\u001b[31mred\u0008" },
        { "DEL", "Mozilla\u007f" },
        { "U+0085 as UTF-8 (C2 85)", "Mozilla\u00c2\u0085x" },
        { "U+202E as UTF-8 (E2 80 AE)", "Mozilla\u00e2\u0080\u00aegnp.exe" },
        { "U+2028 as UTF-8 (E2 80 A8)", "Mozilla\u00e2\u0080\u00a8x" },
        { "511 × 'a' + emoji as UTF-8", new string('a', 511) + "\u00f0\u009f\u0098\u0080" },
        { "encoded surrogate ED A0 80", "a\u00ed\u00a0\u0080b" },
        { "overlong C0 AF", "a\u00c0\u00afb" },
        { "bare FF", "a\u00ffb" },
        { "truncated sequence", "a\u00f0\u009f" },
    };

    [Theory]
    [MemberData(nameof(ControlBytes))]
    public async Task FailedSignin_WithRawControlOrInvalidBytesInUserAgent_IsCountedAndStoredClean(string name, string agent)
    {
        var email = AuthClient.NewEmail("raw-ua");

        var (status, _, body) = await AbuseKit.SendRawAsync(baseAddress, Signin(email, agent));

        Assert.True(status == 401 && body.Contains("\"invalid_credentials\""), $"{name}: {status} {body}");
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        Assert.Equal(1, await conn.QuerySingleOrDefaultAsync<int>("SELECT count FROM signin_failures WHERE email = @email", new { email }));
        HostileHeaderTests.AssertCleanAndBounded(await conn.QuerySingleAsync<string>(
            "SELECT user_agent FROM audit_events WHERE kind = 'signin_failed' AND details->>'email' = @email", new { email }), name);
    }
}
