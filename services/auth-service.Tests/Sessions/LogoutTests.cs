using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

public sealed class LogoutTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task Logout_WithCookie_Returns204ClearsCookieAndRevokesSession()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        var response = await client.LogoutAsync(signedIn.RefreshToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertCookieCleared(response);
        Assert.NotNull((await client.SessionAsync(sessionId)).RevokedAt);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        var me = await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken);
        await ProblemAssert.IsProblemAsync(me, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Logout_OnlyRevokesThatSession()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);

        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(first.RefreshToken)).StatusCode);

        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(second.AccessToken))).RevokedAt);
        await client.RotateAsync(second.RefreshToken);
    }

    [Fact]
    public async Task Logout_NoCookie_Returns204()
    {
        var client = fixture.NewClient();

        var response = await client.LogoutAsync(null);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertCookieCleared(response);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Logout_UnknownCookie_Returns204(bool wellFormed)
    {
        var client = fixture.NewClient();

        var response = await client.LogoutAsync(wellFormed ? SessionTestKit.UnknownToken() : "garbage-cookie");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertCookieCleared(response);
    }

    [Fact]
    public async Task Logout_WithoutXRequestedWith_Returns403CsrfFailedAndKeepsSession()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var response = await client.LogoutAsync(signedIn.RefreshToken, csrfHeader: false);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden, "csrf_failed");
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken))).RevokedAt);
        await client.RotateAsync(signedIn.RefreshToken);
    }

    [Fact]
    public async Task LogoutAll_WithBearer_RevokesEverySessionOfUserOnly()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        var stranger = await client.SignupAndSigninAsync();

        var response = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", first.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertCookieCleared(response);
        foreach (var mine in new[] { first, second })
        {
            Assert.NotNull((await client.SessionAsync(SessionTestKit.SessionIdOf(mine.AccessToken))).RevokedAt);
            await ProblemAssert.IsProblemAsync(await client.RefreshAsync(mine.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", mine.AccessToken)).StatusCode);
        }
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(stranger.AccessToken))).RevokedAt);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", stranger.AccessToken)).StatusCode);
        await client.RotateAsync(stranger.RefreshToken);
    }

    [Fact]
    public async Task LogoutAll_WithoutBearer_Returns401WithBearerChallenge()
    {
        var client = fixture.NewClient();

        var response = await client.Http.PostAsync("/auth/logout-all", null);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString())));
    }

    [Fact]
    public async Task LogoutAll_WithRevokedSessionsBearer_Returns401()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(signedIn.RefreshToken)).StatusCode);

        var response = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", signedIn.AccessToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("error=\"invalid_token\"", string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString())));
    }

    private static void AssertCookieCleared(HttpResponseMessage response)
    {
        var cookie = SetCookie.Single(response);
        Assert.Equal("", cookie.Value);
        Assert.Equal(0, cookie.MaxAge);
        Assert.Equal("/auth", cookie.Get("Path")); // same path, or the browser keeps the real cookie
        Assert.True(cookie.Has("Secure"));
    }
}
