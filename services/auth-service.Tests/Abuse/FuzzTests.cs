using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit.Abstractions;

namespace AuthService.Tests.Abuse;

/// <summary>
/// Thousands of generated hostile requests (seeded, so a failure is reproducible from its case
/// number) across every route, hostile bodies and hostile headers (User-Agent, X-Forwarded-For,
/// Origin, Referer, Cookie, Authorization: overlong, lone surrogates, control characters): no 5xx
/// at all (the database is up), every error with a body is a problem document with a code, and
/// afterwards the normal flow works and an existing user's rows are exactly as they were.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FuzzTests(AuthServiceFixture fixture, ITestOutputHelper output) : IClassFixture<AuthServiceFixture>
{
    public const int Seed = 20261123;
    private const int Cases = 2400;

    private sealed record FuzzCase(int Index, string Method, string Path, string? ContentType, byte[]? Body,
        List<(string Name, string Value)> Headers, bool UseValidBearer, string Description);

    [Fact]
    public async Task HostileRequests_NeverAnswer5xx_AlwaysProblemJson_AndCorruptNothing()
    {
        var factory = fixture.Factory;
        var client = new AuthClient(factory);

        // A bystander whose rows must survive untouched, and a signed-in fuzz user whose token the fuzzer may use.
        var bystanderEmail = await client.CreateVerifiedUserAsync();
        var bystander = await client.SigninAsync(bystanderEmail);
        var fuzzUser = await client.SignupAndSigninAsync();
        var before = await SnapshotAsync(factory.ConnectionString, bystanderEmail);

        var cases = new FuzzGenerator(new Random(Seed), bystanderEmail).Generate(Cases);
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var watch = Stopwatch.StartNew();
        using var http = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(Build(c, fuzzUser.AccessToken));
            }
            catch (Exception e)
            {
                failures.Add($"#{c.Index} {c.Description}: client exception {e.GetType().Name}: {e.Message}");
                return;
            }
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            var body = await response.Content.ReadAsStringAsync();
            var excerpt = body.Length > 300 ? body[..300] : body;
            if (status >= 500)
            {
                failures.Add($"#{c.Index} {c.Description} -> {status} {excerpt}");
                return;
            }
            if (status is >= 200 and < 300 || body.Length == 0 || c.Method == "HEAD") return;
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"#{c.Index} {c.Description} -> {status} with content type {response.Content.Headers.ContentType}: {excerpt}");
                return;
            }
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (!doc.RootElement.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String || code.GetString()!.Length == 0)
                    failures.Add($"#{c.Index} {c.Description} -> {status} problem without a code: {excerpt}");
                if (body.Contains("   at ", StringComparison.Ordinal))
                    failures.Add($"#{c.Index} {c.Description} -> {status} body has a stack trace");
            }
            catch (JsonException)
            {
                failures.Add($"#{c.Index} {c.Description} -> {status} problem body is not JSON: {excerpt}");
            }
        });
        watch.Stop();

        output.WriteLine($"{cases.Count} cases (seed {Seed}) in {watch.Elapsed.TotalSeconds:F1} s; statuses: " +
                         string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        var list = failures.OrderBy(f => int.Parse(f[1..f.IndexOf(' ')])).ToList();
        foreach (var f in list.Take(40)) output.WriteLine(f);
        Assert.True(list.Count == 0, $"{list.Count} of {cases.Count} hostile requests misbehaved, e.g.:\n" + string.Join("\n", list.Take(15)));

        // Nothing an attacker sent touched the bystander's rows …
        Assert.Equal(before, await SnapshotAsync(factory.ConnectionString, bystanderEmail));
        // … whose session still refreshes,
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(bystander.RefreshToken)).StatusCode);
        // and the normal flow works end to end.
        var email = AuthClient.NewEmail("after-fuzz");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        var verifyToken = await client.TokenFromEmailAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = verifyToken })).StatusCode);
        var signedIn = await client.SigninAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(signedIn.RefreshToken)).StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the fuzz took {watch.Elapsed.TotalSeconds:F0} s");
    }

    private static HttpRequestMessage Build(FuzzCase c, string validAccessToken)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        if (c.UseValidBearer) request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + validAccessToken);
        foreach (var (name, value) in c.Headers)
        {
            if (name == "Host") request.Headers.Host = value;
            else request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>The bystander's users row, sessions and refresh tokens, as JSON text.</summary>
    private static async Task<string> SnapshotAsync(string connectionString, string email)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        var user = await conn.QuerySingleAsync<string>("SELECT row_to_json(u)::text FROM users u WHERE email = @email", new { email });
        var sessions = await conn.QueryAsync<string>(
            "SELECT row_to_json(s)::text FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email ORDER BY s.id", new { email });
        var tokens = await conn.QueryAsync<string>("""
            SELECT row_to_json(t)::text FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id
            WHERE u.email = @email ORDER BY t.id
            """, new { email });
        var emailTokens = await conn.QueryAsync<string>(
            "SELECT row_to_json(e)::text FROM email_tokens e JOIN users u ON u.id = e.user_id WHERE u.email = @email AND e.purpose = 'verify' ORDER BY e.id", new { email });
        return string.Join("\n", [user, .. sessions, .. tokens, .. emailTokens]);
    }

    /// <summary>Deterministic hostile requests from one <see cref="Random"/>.</summary>
    private sealed class FuzzGenerator(Random rng, string bystanderEmail)
    {
        private static readonly (string Method, string Path, string[] Fields, bool Bearer)[] Endpoints =
        [
            ("POST", "/auth/signup", ["email", "password", "displayName"], false),
            ("POST", "/auth/verify-email", ["token"], false),
            ("POST", "/auth/resend-verification", ["email"], false),
            ("POST", "/auth/signin", ["email", "password"], false),
            ("POST", "/auth/refresh", [], false),
            ("POST", "/auth/logout", [], false),
            ("POST", "/auth/logout-all", [], false),
            ("POST", "/auth/password/forgot", ["email"], false),
            ("POST", "/auth/password/reset", ["token", "newPassword"], false),
            ("POST", "/auth/password/change", ["currentPassword", "newPassword"], true),
            ("GET", "/auth/me", [], true),
            ("PATCH", "/auth/me", ["displayName"], true),
            ("GET", "/auth/sessions", [], true),
            ("DELETE", "/auth/sessions/{id}", [], true),
            ("GET", "/.well-known/jwks.json", [], false),
            ("GET", "/.well-known/openid-configuration", [], false),
            ("GET", "/dev/emails?to={to}", [], false),
            ("GET", "/healthz", [], false),
            ("GET", "/readyz", [], false),
            ("GET", "/openapi/v1.json", [], false),
        ];

        private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "CONNECTX"];

        private static readonly string[] ContentTypes =
        [
            "application/json", "application/json", "application/json", "application/json; charset=utf-8",
            "application/json; charset=utf-16", "application/json; charset=bogus", "application/json;;;", "text/plain",
            "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/xml", "application/problem+json",
            "application/merge-patch+json", "*/*", "", "json", "application/json\u202E", "APPLICATION/JSON",
        ];

        private string[]? hostileStrings;

        private string[] HostileStrings => hostileStrings ??=
        [
            "' OR 1=1--", "'; DROP TABLE users;--", "\" OR \"\"=\"", "1; SELECT pg_sleep(10)--", "admin'--", "' UNION SELECT password_hash FROM users--",
            "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "${jndi:ldap://x/a}", "{{7*7}}", "%s%s%s%n",
            "../../etc/passwd", "..\\..\\windows\\win.ini", "%00", "\0", "a\0b@example.com", "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            "\u202Eevil\u202C", "admin\u202E@example.com", "moc.elpmaxe@\u202Eresu", "\u200B\u200B\u200B", "\uFEFF",
            "𝓊𝓃𝒾𝒸ℴ𝒹ℯ passphrase long enough", "ﬀﬁﬂ ligatures ﬀﬁﬂ ligatures", "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "Ω≈ç√∫˜µ≤≥÷", "",
            " ", "\t\r\n", "null", "true", "0", "-1", "NaN", "Infinity", "1e400", "99999999999999999999",
            bystanderEmail, bystanderEmail.ToUpperInvariant(), "  " + bystanderEmail + "  ", bystanderEmail + "\0", "\u202E" + bystanderEmail,
            "a@b.c", "user@example.com", "@example.com", "user@", "user@@example.com", "user@example..com", "us er@example.com",
            "a perfectly fine passphrase 42", "password", "12345678", "A".PadRight(129, 'A'),
            "00000000-0000-0000-0000-000000000000", "0b9a3a4e-7d2c-4b1e-9a55-1f2e3d4c5b6a", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        ];

        public List<FuzzCase> Generate(int count) => Enumerable.Range(0, count).Select(NewCase).ToList();

        private T Pick<T>(IReadOnlyList<T> items) => items[rng.Next(items.Count)];

        private bool Chance(double p) => rng.NextDouble() < p;

        private string RandomText(int maxLength)
        {
            var length = rng.Next(maxLength + 1);
            var sb = new StringBuilder(length);
            for (var i = 0; i < length; i++)
            {
                sb.Append(rng.Next(10) switch
                {
                    0 => (char)rng.Next(0, 32), // control characters, NUL included
                    1 => (char)rng.Next(0x80, 0x800),
                    2 => Pick(['\u202E', '\u202D', '\u2066', '\u200B', '\uFEFF', '\uFFFD', '"', '\\', '\'', '<', '%']),
                    _ => (char)rng.Next(32, 127),
                });
            }
            return sb.ToString();
        }

        private string HostileString() => rng.Next(10) switch
        {
            0 => RandomText(60),
            1 => new string(Pick(['a', '\u202E', '0', ' ', 'é']), rng.Next(100, 6000)),
            2 => Jwt.B64(Enumerable.Range(0, 32).Select(_ => (byte)rng.Next(256)).ToArray()), // looks like one of our opaque tokens
            _ => Pick(HostileStrings),
        };

        /// <summary>A JSON value as raw text, sometimes not valid JSON at all.</summary>
        private string JsonValue(int depth = 0) => rng.Next(depth > 2 ? 8 : 14) switch
        {
            0 or 1 or 2 or 3 => JsonSerializer.Serialize(HostileString()),
            4 => Pick(["1e400", "-1e400", "99999999999999999999", "-0", "0.0000000000000000000001", "1E+999999", "123", "NaN", "Infinity", "0x10", "01", "1."]),
            5 => Pick(["true", "false", "null", "tru", "nul"]),
            6 => Pick(["\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\u0000\"", "\"\\u202E\"", "\"\\x41\"", "\"unterminated", "'single'", "\"tab\tinside\""]),
            7 => JsonSerializer.Serialize(Pick(HostileStrings)),
            8 => "[" + string.Join(",", Enumerable.Range(0, rng.Next(4)).Select(_ => JsonValue(depth + 1))) + "]",
            9 => "{" + string.Join(",", Enumerable.Range(0, rng.Next(4)).Select(_ => $"\"{Pick(["$ne", "$gt", "email", "__proto__", "constructor", "a"])}\":{JsonValue(depth + 1)}")) + "}",
            10 => new string('[', rng.Next(17, 300)) + new string(']', rng.Next(0, 300)),
            11 => "{\"$where\":\"sleep(1000)\"}",
            12 => JsonSerializer.Serialize(new string('x', rng.Next(1000, 17_000))),
            _ => "[" + JsonSerializer.Serialize(HostileString()) + "]",
        };

        private string ObjectBody(string[] fields)
        {
            var names = fields.Length == 0 ? ["email", "token", "password"] : fields;
            var members = new List<string>();
            foreach (var name in names)
            {
                if (Chance(0.15)) continue; // missing field
                members.Add($"\"{name}\":{JsonValue()}");
                if (Chance(0.08)) members.Add($"\"{name}\":{JsonValue()}"); // duplicate key
            }
            if (Chance(0.2)) members.Add($"\"{Pick(["isAdmin", "emailVerified", "id", "role", "Email", "EMAIL", "__proto__"])}\":{JsonValue()}");
            if (Chance(0.05)) members.Add("\"trailing\":1,");
            return "{" + string.Join(Chance(0.05) ? ",," : ",", members) + "}";
        }

        private byte[] Truncated(string json) => Encoding.UTF8.GetBytes(json[..Math.Max(1, rng.Next(json.Length))]);

        private byte[] Body(string[] fields) => rng.Next(20) switch
        {
            0 or 1 => Enumerable.Range(0, rng.Next(0, 3000)).Select(_ => (byte)rng.Next(256)).ToArray(), // random bytes
            2 => Encoding.UTF8.GetBytes(new string('[', rng.Next(17, 8000)) + new string(']', rng.Next(0, 8000))), // deep arrays
            3 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", rng.Next(17, 3000))) + "1" + new string('}', rng.Next(0, 3000))),
            4 => Truncated(ObjectBody(fields)),
            5 => Encoding.UTF8.GetBytes(Pick(["[]", "\"str\"", "42", "null", "true", "[{}]", "{}", "", " ", "\uFEFF{}", "{\"email\":\"a@b.co\"}garbage"])),
            6 => [.. "{\"email\":\""u8, .. Pick(new byte[][] { [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF, 0xFE], [0xF4, 0x90, 0x80, 0x80] }), .. "@example.com\",\"password\":\"x\"}"u8],
            7 => Encoding.UTF8.GetBytes(new string(' ', 17_000) + "{}"), // over the 16 KiB limit
            8 => Encoding.Unicode.GetBytes(ObjectBody(fields)), // UTF-16 bytes
            9 => Encoding.UTF8.GetBytes("{/*comment*/" + ObjectBody(fields)[1..]),
            _ => Encoding.UTF8.GetBytes(ObjectBody(fields)),
        };

        private Guid RandomGuid()
        {
            var bytes = new byte[16];
            rng.NextBytes(bytes);
            return new Guid(bytes);
        }

        // NUL in the path itself cannot be sent through the in-memory server (its client refuses it);
        // RawSocketFuzzTests sends it over a real socket.
        private string GarbageId() => Pick(
        [
            Uri.EscapeDataString("' OR 1=1--"), "99999999999999999999", "00000000-0000-0000-0000-000000000000", RandomGuid().ToString(),
            "..%2F..%2Fetc%2Fpasswd", Uri.EscapeDataString("\u202E1234"), new string('9', 5000), "-1", "1e400",
            Uri.EscapeDataString(RandomText(40)), "%ED%A0%80", "%C0%AF", "{id}", "null", RandomGuid().ToString("B"),
        ]);

        /// <summary>
        /// Header text the in-memory server hands over as is (a socket could not carry a lone
        /// surrogate; RawSocketFuzzTests sends the byte-level equivalents).
        /// </summary>
        private string HostileHeaderText() => rng.Next(9) switch
        {
            0 => new string('a', 511) + "😀", // cut at 512 UTF-16 units, it used to leave a lone surrogate
            1 => new string('a', rng.Next(500, 520)) + "😀😀",
            2 => "Mozilla \ud800 x",
            3 => "\udc00" + RandomText(20),
            4 => "x\u0001\u001b[31m\u007f\u0085\u0000y",
            5 => "\u202E\u2066\u2028\u2029\u200B\uFEFF" + RandomText(10),
            6 => new string('A', rng.Next(600, 9000)),
            7 => string.Concat(Enumerable.Repeat("👩\u200D💻", rng.Next(100, 400))),
            _ => Pick(HostileStrings),
        };

        private List<(string, string)> Headers(string path, bool bearerEndpoint, out bool useValidBearer)
        {
            var headers = new List<(string, string)>();
            useValidBearer = bearerEndpoint && !path.EndsWith("logout-all", StringComparison.Ordinal) && Chance(0.5);
            if (!useValidBearer && Chance(0.4))
                headers.Add(("Authorization", Pick(
                [
                    "Bearer", "Bearer ", "Bearer a.b.c", "Bearer ...", "Basic YWRtaW46YWRtaW4=", "Negotiate abc", "Bearer " + new string('A', 9000),
                    "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "Bearer " + Jwt.B64(RandomText(30)) + "." + Jwt.B64(RandomText(80)) + ".",
                    "Bearer \u202Eabc.def.ghi", "bearer  x", "Bearer eyJ" + RandomText(30), "Bearer " + Uri.EscapeDataString(RandomText(50)), "Bearer %00",
                    "Bearer " + HostileHeaderText(), HostileHeaderText(),
                ])));
            if (Chance(0.4))
                headers.Add(("Cookie", Pick(
                [
                    "refresh_token=garbage", $"{AuthClient.CookieName}=garbage", $"{AuthClient.CookieName}={Jwt.B64(Enumerable.Range(0, 32).Select(_ => (byte)rng.Next(256)).ToArray())}",
                    $"{AuthClient.CookieName}={new string('x', 8000)}", $"{AuthClient.CookieName}=%00", "=;=;;;", $"{AuthClient.CookieName}=\"quoted\"",
                    $"{AuthClient.CookieName}=a; {AuthClient.CookieName}=b", $"{AuthClient.CookieName}=\u202Eabc", "a=b; c", $"{AuthClient.CookieName}=' OR 1=1--",
                    $"{AuthClient.CookieName}={HostileHeaderText()}", HostileHeaderText(),
                ])));
            if (Chance(0.5)) headers.Add(("X-Requested-With", Pick(["XMLHttpRequest", "", "fetch", "\u202E"])));
            if (Chance(0.3)) headers.Add(("Origin", Pick(["https://app.test", "https://evil.test", "null", "", "https://app.test.evil.test", "garbage", HostileHeaderText(), "https://app.test\ud800"])));
            if (Chance(0.15)) headers.Add(("Referer", Pick(["https://app.test/x", "https://evil.test/", "not a url", "javascript:alert(1)", HostileHeaderText(), "https://app.test/\ud800"])));
            if (Chance(0.4)) headers.Add(("User-Agent", Pick([new string('U', 3000), "' OR 1=1--", "\u202Egnp.exe", "<script>", "Mozilla/5.0", HostileHeaderText(), HostileHeaderText()])));
            if (Chance(0.15)) headers.Add(("X-Forwarded-For", Pick(["not-an-ip", "1.1.1.1, 2.2.2.2", "::1", "999.999.999.999", "' OR 1=1--", "203.0.113.9", HostileHeaderText(), "1.1.1.1\ud800"])));
            if (Chance(0.05)) headers.Add(("X-Forwarded-Proto", Pick(["https", "gopher", "' OR 1=1--"])));
            if (Chance(0.05)) headers.Add(("Host", Pick(["evil.test", "localhost:1", "app.test"])));
            if (Chance(0.05)) headers.Add(("If-None-Match", Pick(["*", "\"x\", W/\"y\"", "garbage", "\"\""])));
            if (Chance(0.05)) headers.Add(("Access-Control-Request-Method", Pick(["POST", "DELETE", "FOO"])));
            return headers;
        }

        private FuzzCase NewCase(int index)
        {
            var endpoint = Pick(Endpoints);
            var method = Chance(0.1) ? Pick(Methods) : endpoint.Method;
            var path = endpoint.Path
                .Replace("{id}", GarbageId())
                .Replace("{to}", Chance(0.9) ? Uri.EscapeDataString(HostileString()) : GarbageId());
            if (Chance(0.04)) path = Pick(["/auth/", "/auth/sessions/x/y", "/%0d%0aX-Injected:%201", "/..%2f..%2fetc/passwd", "/auth/me/../signin", "/.well-known/", "/dev/emails?to=a&to=b", "/dev/emails", "/auth/SIGNIN", "/auth/signin/"]);
            var headers = Headers(path, endpoint.Bearer, out var useValidBearer);

            string? contentType = null;
            byte[]? body = null;
            if (method is "POST" or "PATCH" or "PUT" || Chance(0.05))
            {
                if (!Chance(0.08)) body = Body(endpoint.Fields); // else: no body at all
                contentType = Chance(0.1) ? null : Pick(ContentTypes);
            }
            var description = $"{method} {(path.Length > 80 ? path[..80] + "…" : path)} [{contentType ?? "no content type"}, " +
                              $"{(body is null ? "no body" : $"{body.Length} B")}{(useValidBearer ? ", valid bearer" : "")}" +
                              $"{string.Concat(headers.Select(h => ", " + h.Item1))}]";
            return new FuzzCase(index, method, path, contentType, body, headers, useValidBearer, description);
        }
    }
}

/// <summary>
/// What only a real socket can carry: NUL and non-ASCII bytes in the request line and headers,
/// broken framing, oversized heads. Kestrel may refuse these itself (an empty 400/431); whatever
/// reaches the service must not make it answer 5xx.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RawSocketFuzzTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;
    private Uri baseAddress = null!;

    public async Task InitializeAsync() => (factory, baseAddress) = await AbuseKit.StartOnKestrelAsync();

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private const string SigninBody = "{\"email\":\"nobody@example.com\",\"password\":\"wrong but long enough 1\"}";

    public static TheoryData<string, string> RawRequests() => new()
    {
        { "NUL in path", "GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "raw NUL byte in path", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "NUL in session id", "DELETE /auth/sessions/%00 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\n\r\n" },
        { "NUL in mailbox query", "GET /dev/emails?to=a%00b HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "invalid UTF-8 in path", "GET /auth/sessions/%ED%A0%80 HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "overlong UTF-8 in query", "GET /dev/emails?to=%C0%AF%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "raw NUL in User-Agent on signin", $"POST /auth/signin HTTP/1.1\r\nHost: x\r\nUser-Agent: a\0b\r\nContent-Type: application/json\r\nContent-Length: {SigninBody.Length}\r\n\r\n{SigninBody}" },
        { "raw UTF-8 RTL in User-Agent on signin", $"POST /auth/signin HTTP/1.1\r\nHost: x\r\nUser-Agent: \u202Eevil\r\nContent-Type: application/json\r\nContent-Length: {SigninBody.Length}\r\n\r\n{SigninBody}" },
        { "raw control bytes in X-Forwarded-For", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\u0001\r\n\r\n" },
        { "NUL in cookie", "POST /auth/refresh HTTP/1.1\r\nHost: x\r\nX-Requested-With: x\r\nCookie: __Secure-refresh_token=a\0b\r\nContent-Length: 0\r\n\r\n" },
        { "garbage request line", "FOO BAR BAZ\r\n\r\n" },
        { "absolute-form target", "GET http://evil.test/healthz HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n" },
        { "two Content-Length headers", $"POST /auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {SigninBody.Length}\r\nContent-Length: 5\r\n\r\n{SigninBody}" },
        { "Content-Length and chunked (smuggling)", $"POST /auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n{SigninBody.Length:x}\r\n{SigninBody}\r\n0\r\n\r\n" },
        { "broken chunk size", "POST /auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n" },
        { "negative Content-Length", "POST /auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n" },
        { "huge header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 100_000) + "\r\n\r\n" },
        { "invalid UTF-8 body on signin", "POST /auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"email\":\"\u00ff\u00fe@x.co\",\"p\":1}" },
        { "header injection attempt in path", "GET /healthz%0d%0aSet-Cookie:%20x=y HTTP/1.1\r\nHost: x\r\n\r\n" },
        { "dot-dot path", "GET /auth/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n" },
    };

    /// <summary>Header values as Latin-1 strings, so each character is one raw byte on the wire.</summary>
    private static readonly (string Name, string Latin1)[] HostileHeaderBytes =
    [
        ("encoded surrogate ED A0 80", "a\u00ed\u00a0\u0080b"),
        ("overlong C0 AF", "a\u00c0\u00afb"),
        ("bare FF FE", "a\u00ff\u00feb"),
        ("truncated 4-byte sequence", "a\u00f0\u009f"),
        ("control bytes", "a\u0001\u001b[31m\u007fb"),
        ("U+2028 and U+202E as UTF-8", "a\u00e2\u0080\u00a8\u00e2\u0080\u00aeb"),
        ("511 × 'a' + emoji as UTF-8", new string('a', 511) + "\u00f0\u009f\u0098\u0080"),
        ("overlong value", new string('a', 9000)),
    ];

    private static readonly string[] HostileHeaderNames = ["User-Agent", "X-Forwarded-For", "Origin", "Referer", "Cookie", "Authorization"];

    [Fact]
    public Task RawHostileHeaders_OnEveryRoute_NeverGet5xx() =>
        AssertHostileHeadersNeverGet5xxAsync(AuthService.Tests.Http.EndpointWalk.Routes(factory), baseAddress);

    [Theory]
    [MemberData(nameof(RawRequests))]
    public Task RawHostileRequest_NeverGets5xx(string name, string raw) => AssertRawRequestNeverGets5xxAsync(baseAddress, name, raw);

    /// <summary>
    /// Every route, with each hostile header value in each header an attacker controls, as raw bytes: never a 5xx,
    /// every error problem+json, and the service still healthy afterwards. Also run on the published executable.
    /// </summary>
    internal static async Task AssertHostileHeadersNeverGet5xxAsync(IReadOnlyList<AuthService.Tests.Http.MappedRoute> routes, Uri baseAddress)
    {
        var cases = (from route in routes from header in HostileHeaderNames from value in HostileHeaderBytes select (route, header, value)).ToList();
        var failures = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, _) =>
        {
            var value = c.header switch
            {
                "Cookie" => $"{AuthClient.CookieName}={c.value.Latin1}",
                "Authorization" => "Bearer " + c.value.Latin1,
                _ => c.value.Latin1,
            };
            var raw = $"{c.route.Method} {c.route.Path} HTTP/1.1\r\nHost: x\r\nX-Requested-With: XMLHttpRequest\r\n{c.header}: {value}\r\n"
                      + (c.route.Method is "POST" or "PATCH" ? "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" : "\r\n");
            var (status, headers, body) = await AbuseKit.SendRawAsync(baseAddress, raw);
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            if (status is <= 0 or >= 500)
                failures.Add($"{c.route} {c.header}: {c.value.Name} -> {status} {body}");
            else if (status >= 400 && body.Length > 0 && !headers.Contains("application/problem+json", StringComparison.OrdinalIgnoreCase))
                failures.Add($"{c.route} {c.header}: {c.value.Name} -> {status} without problem+json: {body}");
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} misbehaved (statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}):\n"
                                      + string.Join("\n", failures.Take(15)));
        using var http = new HttpClient { BaseAddress = baseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    /// <summary>One raw request (<see cref="RawRequests"/>): never a 5xx, an error is problem+json with a code, and the service still serves.</summary>
    internal static async Task AssertRawRequestNeverGets5xxAsync(Uri baseAddress, string name, string raw)
    {
        var (status, headers, body) = await AbuseKit.SendRawAsync(baseAddress, raw);

        Assert.True(status is > 0 and < 500, $"{name}: status {status}, body {body}");
        if (status >= 400 && body.Length > 0)
        {
            Assert.Contains("application/problem+json", headers, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("\"code\":", body);
        }
        // And the service still serves normally on a fresh connection.
        using var http = new HttpClient { BaseAddress = baseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }
}
