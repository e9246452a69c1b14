using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Sessions;

public sealed class SigninTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task Signin_ValidCredentials_ReturnsBearerTokenAndUserWithNoStore()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();

        var response = await client.SigninRawAsync(email);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control was '{response.Headers.CacheControl}'");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, body.GetProperty("accessToken").GetString()!.Split('.').Length);
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(900, body.GetProperty("expiresIn").GetInt32());
        var user = body.GetProperty("user");
        Assert.True(Guid.TryParse(user.GetProperty("id").GetString(), out var userId));
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.True(user.GetProperty("emailVerified").GetBoolean());
        Assert.True(user.TryGetProperty("displayName", out _), "user.displayName must be present (null allowed)");
        Assert.True(user.GetProperty("createdAt").TryGetDateTimeOffset(out _));

        await using var conn = client.OpenDatabase();
        Assert.Equal(userId, await conn.QuerySingleAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email }));
    }

    [Fact]
    public async Task Signin_SetsSecureHttpOnlyStrictRefreshCookieForAuthPathWithSessionLifetime()
    {
        var client = fixture.NewClient();
        var response = await client.SigninRawAsync(await client.CreateVerifiedUserAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var cookie = SetCookie.Single(response, "__Secure-refresh_token");
        Assert.True(cookie.Has("HttpOnly"), "HttpOnly missing");
        Assert.True(cookie.Has("Secure"), "Secure missing");
        Assert.Equal("strict", cookie.Get("SameSite")?.ToLowerInvariant());
        Assert.Equal("/auth", cookie.Get("Path"));
        var maxAge = cookie.MaxAge;
        Assert.NotNull(maxAge);
        Assert.InRange(maxAge!.Value, (long)TimeSpan.FromDays(30).TotalSeconds - 5, (long)TimeSpan.FromDays(30).TotalSeconds);
        Assert.False(cookie.Has("Domain"), "A host-only cookie must not widen itself with Domain");
    }

    [Fact]
    public async Task Signin_RefreshTokenIsLongBase64UrlAndNeverInBody()
    {
        var client = fixture.NewClient();
        var response = await client.SigninRawAsync(await client.CreateVerifiedUserAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var raw = await response.Content.ReadAsStringAsync();
        var token = AuthClient.RefreshCookieValue(response);

        Assert.NotNull(token);
        Assert.Matches(new Regex("^[A-Za-z0-9_-]{65}$"), token); // the session id (22) and 256 random bits (43), base64url
        Assert.DoesNotContain(token!, raw);
        Assert.DoesNotContain("refreshToken", raw, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Signin_DatabaseStoresOnlySha256OfRefreshToken()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        // The token names its session; the row holds the SHA-256 of the secret after that id.
        Assert.Equal(sessionId, SessionTestKit.SessionIdOfRefreshToken(signedIn.RefreshToken));
        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(32, state.CurrentHash!.Length);
        Assert.Equal(SessionTestKit.SecretHash(signedIn.RefreshToken), state.CurrentHash);
        Assert.Null(state.PreviousHash);
        Assert.Equal(0, state.Generation);

        // The secret appears nowhere in these tables, in any column.
        await using var conn = client.OpenDatabase();
        var hits = await conn.QuerySingleAsync<long>("""
            SELECT (SELECT count(*) FROM refresh_tokens t WHERE strpos(t::text, @token) > 0)
                 + (SELECT count(*) FROM sessions s WHERE strpos(s::text, @token) > 0)
                 + (SELECT count(*) FROM audit_events a WHERE strpos(a::text, @token) > 0)
            """, new { token = signedIn.RefreshToken[22..] });
        Assert.Equal(0, hits);
    }

    [Fact]
    public async Task Signin_RefreshTokenNeverLogged()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var next = await client.RotateAsync(signedIn.RefreshToken);

        Assert.DoesNotContain(client.Factory.Logs.Lines, l => l.Contains(signedIn.RefreshToken, StringComparison.Ordinal));
        Assert.DoesNotContain(client.Factory.Logs.Lines, l => l.Contains(next, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Signin_WrongPassword_Returns401InvalidCredentialsWithoutCookie()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();

        var response = await client.SigninRawAsync(email, "not the right passphrase at all");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Empty(SetCookie.All(response, AuthClient.CookieName));
    }

    [Fact]
    public async Task Signin_UnknownEmail_AnswersExactlyLikeWrongPassword()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();

        var wrongPassword = await client.SigninRawAsync(email, "not the right passphrase at all");
        var unknownEmail = await client.SigninRawAsync(AuthClient.NewEmail("nobody"), "not the right passphrase at all");

        var a = await ProblemAssert.IsProblemAsync(wrongPassword, HttpStatusCode.Unauthorized, "invalid_credentials");
        var b = await ProblemAssert.IsProblemAsync(unknownEmail, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(WithoutTraceId(a), WithoutTraceId(b));
        Assert.Equal(wrongPassword.Content.Headers.ContentType?.ToString(), unknownEmail.Content.Headers.ContentType?.ToString());
        Assert.Empty(SetCookie.All(unknownEmail, AuthClient.CookieName));
    }

    [Fact]
    public async Task Signin_UnverifiedAccountWithRightPassword_Returns403EmailNotVerified()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail("unverified");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        var response = await client.SigninRawAsync(email);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "email_not_verified");
        Assert.Empty(SetCookie.All(response, AuthClient.CookieName));
        await using var conn = client.OpenDatabase();
        Assert.Equal(0, await conn.QuerySingleAsync<long>(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email", new { email }));
    }

    [Fact]
    public async Task Signin_UnverifiedAccountWithWrongPassword_Returns401InvalidCredentials()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail("unverified");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        var response = await client.SigninRawAsync(email, "not the right passphrase at all");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Theory]
    [InlineData("{}", new[] { "email", "password" })]
    [InlineData("""{"email":"someone@example.com"}""", new[] { "password" })]
    [InlineData("""{"password":"a perfectly fine passphrase 42"}""", new[] { "email" })]
    [InlineData("""{"email":"","password":""}""", new[] { "email", "password" })]
    public async Task Signin_MissingFields_Returns400ValidationFailed(string json, string[] fields)
    {
        var client = fixture.NewClient();

        var response = await client.Http.PostAsync("/auth/signin", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        foreach (var field in fields) Assert.NotEmpty(ProblemAssert.FieldErrors(problem, field));
        Assert.Empty(SetCookie.All(response, AuthClient.CookieName));
    }

    private static string WithoutTraceId(JsonElement problem) =>
        JsonSerializer.Serialize(problem.EnumerateObject().Where(p => p.Name != "traceId").ToDictionary(p => p.Name, p => p.Value));
}
