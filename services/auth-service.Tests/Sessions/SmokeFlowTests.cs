using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

public sealed class SmokeFlowTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task SignupVerifySigninMeRefreshLogout_WholeFlowWorks()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var me = await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var next = AuthClient.RefreshCookieValue(refreshed);
        Assert.NotNull(next);
        Assert.NotEqual(signedIn.RefreshToken, next);

        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(next)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(next), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }
}
