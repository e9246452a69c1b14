using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Sessions;

public sealed class SessionListTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task ListSessions_ShowsBothSessionsAndMarksCallersAsCurrent()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        var firstId = SessionTestKit.SessionIdOf(first.AccessToken);
        var secondId = SessionTestKit.SessionIdOf(second.AccessToken);
        await client.SignupAndSigninAsync(); // somebody else's session must not show up

        var response = await client.GetWithBearerAsync("/auth/sessions", second.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var list = await response.Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.Equal(2, list!.Length);
        var byId = list.ToDictionary(s => Guid.Parse(s.GetProperty("id").GetString()!));
        Assert.Equal(new[] { firstId, secondId }.Order(), byId.Keys.Order());
        Assert.True(byId[secondId].GetProperty("current").GetBoolean());
        Assert.False(byId[firstId].GetProperty("current").GetBoolean());
        foreach (var s in list)
        {
            foreach (var field in new[] { "createdAt", "lastUsedAt", "expiresAt" })
                Assert.True(s.GetProperty(field).TryGetDateTimeOffset(out _), $"{field} must be a timestamp");
            Assert.True(s.TryGetProperty("userAgent", out _), "userAgent must be present");
            Assert.True(s.TryGetProperty("ip", out _), "ip must be present");
        }
        var session = await client.SessionAsync(firstId);
        SessionTestKit.SameInstant(byId[firstId].GetProperty("expiresAt").GetDateTimeOffset(), session.ExpiresAt);

        // Asked from the other session, "current" follows the caller.
        var fromFirst = await (await client.GetWithBearerAsync("/auth/sessions", first.AccessToken)).Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.True(fromFirst!.Single(s => s.GetProperty("current").GetBoolean()).GetProperty("id").GetString() == firstId.ToString());
    }

    [Fact]
    public async Task ListSessions_WithoutBearer_Returns401()
    {
        var client = fixture.NewClient();

        var response = await client.Http.GetAsync("/auth/sessions");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task DeleteSession_OwnOtherSession_Returns204AndItsRefreshFails()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        var firstId = SessionTestKit.SessionIdOf(first.AccessToken);

        var response = await client.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{firstId}", second.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.NotNull((await client.SessionAsync(firstId)).RevokedAt);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(first.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", first.AccessToken)).StatusCode);

        // The caller's own session is untouched, and the list no longer shows the deleted one.
        var list = await (await client.GetWithBearerAsync("/auth/sessions", second.AccessToken)).Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.Equal(SessionTestKit.SessionIdOf(second.AccessToken).ToString(), Assert.Single(list!).GetProperty("id").GetString());
        await client.RotateAsync(second.RefreshToken);
    }

    [Fact]
    public async Task DeleteSession_AnotherUsersSession_Returns404AndLeavesItLive()
    {
        var client = fixture.NewClient();
        var attacker = await client.SignupAndSigninAsync();
        var victim = await client.SignupAndSigninAsync();
        var victimSessionId = SessionTestKit.SessionIdOf(victim.AccessToken);

        var response = await client.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{victimSessionId}", attacker.AccessToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.Null((await client.SessionAsync(victimSessionId)).RevokedAt);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", victim.AccessToken)).StatusCode);
        await client.RotateAsync(victim.RefreshToken);
    }

    [Theory]
    [InlineData("random-guid")]
    [InlineData("not-a-guid")]
    public async Task DeleteSession_UnknownId_Returns404(string id)
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var path = $"/auth/sessions/{(id == "random-guid" ? Guid.NewGuid().ToString() : id)}";

        var response = await client.SendWithBearerAsync(HttpMethod.Delete, path, signedIn.AccessToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken))).RevokedAt);
    }
}
