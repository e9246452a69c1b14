using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

public sealed class RefreshTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task Refresh_CurrentToken_RotatesCookieAndMovesTheSessionRow()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var before = await client.SessionAsync(sessionId);
        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(5));
        var refreshedAt = fixture.Factory.Clock.GetUtcNow();
        var realTime = System.Diagnostics.Stopwatch.StartNew();

        var response = await client.RefreshAsync(signedIn.RefreshToken);
        var took = realTime.Elapsed;

        var next = await SessionTestKit.NewCookieAsync(response);
        Assert.NotEqual(signedIn.RefreshToken, next);
        var cookie = SetCookie.Single(response);
        Assert.True(cookie.Has("HttpOnly") && cookie.Has("Secure"));
        Assert.Equal("/auth", cookie.Get("Path"));
        Assert.Equal("strict", cookie.Get("SameSite")?.ToLowerInvariant());

        // One row moved on: the new secret is the newest, the presented one the previous; no token row was written.
        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(SessionTestKit.SecretHash(next), state.CurrentHash);
        Assert.Equal(SessionTestKit.SecretHash(signedIn.RefreshToken), state.PreviousHash);
        Assert.Equal(1, state.Generation);
        // The rotation reads the database's clock (offset to the test clock).
        SessionTestKit.Between(refreshedAt, took, state.RotatedAt!.Value);
        Assert.Equal(0, await client.PreviousReleaseTokenRowsAsync(sessionId));

        var after = await client.SessionAsync(sessionId);
        Assert.True(after.LastUsedAt > before.LastUsedAt, "last_used_at must move on refresh");
        SessionTestKit.SameInstant(new DateTimeOffset(state.RotatedAt.Value, TimeSpan.Zero), after.LastUsedAt);
        SessionTestKit.SameInstant(new DateTimeOffset(state.RotatedAt.Value, TimeSpan.Zero) + TimeSpan.FromDays(14), after.IdleExpiresAt);
        Assert.Equal(before.ExpiresAt, after.ExpiresAt);
        Assert.Null(after.RevokedAt);
    }

    [Fact]
    public async Task Refresh_Success_ReturnsSigninShapeWithNoStoreAndWorkingAccessToken()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var userId = signedIn.Body.GetProperty("user").GetProperty("id").GetString();

        var response = await client.RefreshAsync(signedIn.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control was '{response.Headers.CacheControl}'");
        var raw = await response.Content.ReadAsStringAsync();
        var body = JsonSerializer.Deserialize<JsonElement>(raw);
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.Equal(900, body.GetProperty("expiresIn").GetInt32());
        Assert.Equal(userId, body.GetProperty("user").GetProperty("id").GetString());
        Assert.DoesNotContain(AuthClient.RefreshCookieValue(response)!, raw);

        var accessToken = body.GetProperty("accessToken").GetString()!;
        Assert.NotEqual(signedIn.AccessToken, accessToken);
        Assert.Equal(SessionTestKit.SessionIdOf(signedIn.AccessToken), SessionTestKit.SessionIdOf(accessToken));
        var me = await client.GetWithBearerAsync("/auth/me", accessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(userId, (await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Refresh_NewCookieKeepsRotating()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var t1 = await client.RotateAsync(signedIn.RefreshToken);
        var t2 = await client.RotateAsync(t1);
        var t3 = await client.RotateAsync(t2);

        Assert.Equal(4, new[] { signedIn.RefreshToken, t1, t2, t3 }.Distinct().Count());
        var state = await client.RefreshStateAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken));
        Assert.Equal(3, state.Generation);
        Assert.Equal(SessionTestKit.SecretHash(t3), state.CurrentHash);
        Assert.Equal(SessionTestKit.SecretHash(t2), state.PreviousHash);
    }

    [Fact]
    public async Task Refresh_NoCookie_Returns401RefreshTokenMissing()
    {
        var client = fixture.NewClient();

        var response = await client.RefreshAsync(null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_missing");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("not!base64url!but!exactly!forty!three!chars")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Refresh_GarbageCookie_Returns401RefreshTokenInvalid(string cookie)
    {
        var client = fixture.NewClient();

        var response = await client.RefreshAsync(cookie);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task Refresh_WellFormedUnknownToken_Returns401RefreshTokenInvalid()
    {
        var client = fixture.NewClient();

        var response = await client.RefreshAsync(SessionTestKit.UnknownToken());

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task Refresh_WithoutXRequestedWith_Returns403CsrfFailedAndDoesNotRotate()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var response = await client.RefreshAsync(signedIn.RefreshToken, csrfHeader: false);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "csrf_failed");
        Assert.True(await client.IsNewestAsync(signedIn.RefreshToken));
        await client.RotateAsync(signedIn.RefreshToken);
    }

    [Fact]
    public async Task Refresh_FromForeignOrigin_Returns403CsrfFailedAndDoesNotRotate()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var response = await client.RefreshAsync(signedIn.RefreshToken, origin: "https://evil.test");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "csrf_failed");
        Assert.True(await client.IsNewestAsync(signedIn.RefreshToken));
        Assert.Null(AuthClient.RefreshCookieValue(response));
    }

    [Fact]
    public async Task Refresh_FromAllowedOrigin_Returns200()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var response = await client.RefreshAsync(signedIn.RefreshToken, origin: AuthServiceFactory.AllowedOrigin);

        await SessionTestKit.NewCookieAsync(response);
    }
}
