using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

/// <summary>
/// Idle (14 days), absolute (30 days) and access-token (15 min) lifetimes, moved with the test clock.
/// Every test measures from its own signin, so the clock moving forward between tests is harmless.
/// </summary>
public sealed class SessionLifetimeTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private static readonly long ThirtyDays = (long)TimeSpan.FromDays(30).TotalSeconds;
    private TestClock Clock => fixture.Factory.Clock;

    [Fact]
    public async Task Refresh_AfterIdleTimeout_Returns401RefreshTokenInvalid()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromMinutes(1));
        var response = await client.RefreshAsync(signedIn.RefreshToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task Refresh_JustBeforeIdleTimeout_Succeeds()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        Clock.Advance(TimeSpan.FromDays(14) - TimeSpan.FromMinutes(1));

        await client.RotateAsync(signedIn.RefreshToken);
    }

    [Fact]
    public async Task Refresh_EveryTenDays_OutlivesIdleTimeoutButNeverTheAbsoluteLifetime()
    {
        var client = fixture.NewClient();
        var signin = await client.SigninRawAsync(await client.CreateVerifiedUserAsync());
        var token = await SessionTestKit.NewCookieAsync(signin);
        var sessionId = SessionTestKit.SessionIdOf(await SessionTestKit.AccessTokenOfAsync(signin));
        var expiresAt = (await client.SessionAsync(sessionId)).ExpiresAt;
        Assert.InRange(SetCookie.Single(signin).MaxAge!.Value, ThirtyDays - 2, ThirtyDays);

        var previousMaxAge = ThirtyDays;
        foreach (var (advance, day) in new[] { (10, 10), (10, 20), (9, 29) })
        {
            Clock.Advance(TimeSpan.FromDays(advance));
            var response = await client.RefreshAsync(token);
            token = await SessionTestKit.NewCookieAsync(response);

            var maxAge = SetCookie.Single(response).MaxAge!.Value;
            var remaining = (long)TimeSpan.FromDays(30 - day).TotalSeconds;
            Assert.InRange(maxAge, remaining - 2, remaining); // the session's remaining lifetime, not a fresh 30 days
            Assert.True(maxAge < previousMaxAge, $"Max-Age grew from {previousMaxAge} to {maxAge} on day {day}");
            previousMaxAge = maxAge;

            var session = await client.SessionAsync(sessionId);
            Assert.Equal(expiresAt, session.ExpiresAt); // refresh never moves the absolute limit
            Assert.True(session.IdleExpiresAt <= session.ExpiresAt, "idle expiry must be capped by the absolute expiry");
        }

        // Day 30 + 1 minute: idle expiry is not reached (last refresh was a day ago), the absolute limit is.
        Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var late = await client.RefreshAsync(token);
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task AccessToken_Expired_MeReturns401WithInvalidTokenChallenge()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).StatusCode);

        Clock.Advance(TimeSpan.FromMinutes(2)); // 16 minutes after issue
        var response = await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.StartsWith("Bearer", challenge);
        Assert.Contains("error=\"invalid_token\"", challenge);
    }

    [Fact]
    public async Task AccessToken_AfterRefreshWhenOldExpired_NewOneWorks()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).StatusCode);

        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        await SessionTestKit.NewCookieAsync(refreshed);

        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", await SessionTestKit.AccessTokenOfAsync(refreshed))).StatusCode);
    }
}
