using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

/// <summary>Auth:RefreshReuseGrace is honoured when configured (own service, 30 s window).</summary>
public sealed class RefreshGraceSettingTests
{
    [Fact]
    public async Task Refresh_ConfiguredGraceWindow_ReplaysInsideAndRevokesAfter()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Auth:RefreshReuseGrace"] = "00:00:30",
        });
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var t1 = await client.RotateAsync(signedIn.RefreshToken);

        factory.Clock.Advance(TimeSpan.FromSeconds(20)); // past the default 10 s, inside the configured 30 s
        Assert.Equal(t1, await client.RotateAsync(signedIn.RefreshToken));

        factory.Clock.Advance(TimeSpan.FromSeconds(11)); // 31 s after the rotation
        var response = await client.RefreshAsync(signedIn.RefreshToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        Assert.Equal("refresh_token_reused", (await client.SessionAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken))).RevokedReason);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(t1), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }
}
