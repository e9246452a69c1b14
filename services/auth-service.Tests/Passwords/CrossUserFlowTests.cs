using System.Net;
using AuthService.Tests.Accounts;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>One user's tokens and sessions never act for another user.</summary>
public sealed class CrossUserFlowTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string BobsPassword = "bob has his very own passphrase";

    private readonly AuthClient client = fixture.NewClient();

    private static async Task<Guid> CurrentSessionIdAsync(AuthClient client, string accessToken)
    {
        var sessions = await TestJson.ReadAsync(await client.GetWithBearerAsync("/auth/sessions", accessToken));
        return sessions.EnumerateArray().Where(s => s.GetProperty("current").GetBoolean()).Select(s => s.GetProperty("id").GetGuid()).Single();
    }

    [Fact]
    public async Task ResetTokenOfA_ChangesOnlyAsPassword_AndRevokesOnlyAsSessions()
    {
        var alice = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("alice"));
        var bob = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("bob"), BobsPassword);
        var bobSession = await client.SigninAsync(bob, BobsPassword);
        await using var db = client.OpenDatabase();
        var bobHash = await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @bob", new { bob });
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email = alice })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var aliceToken = await client.TokenFromEmailAsync(alice, "reset-password");

        const string newPassword = "alice picked a new passphrase";
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/auth/password/reset", new { token = aliceToken, newPassword })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(alice, newPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(bob, BobsPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(bob, newPassword)).StatusCode);
        Assert.Equal(bobHash, await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @bob", new { bob }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", bobSession.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(bobSession.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task ChangeByA_DoesNotTouchBsSessions()
    {
        var alice = await client.SignupAndSigninAsync();
        var bob = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("bob"), BobsPassword);
        var bobSession = await client.SigninAsync(bob, BobsPassword);

        var change = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", alice.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = "alice changed her passphrase" });
        Assert.Equal(HttpStatusCode.NoContent, change.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(bobSession.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(bob, BobsPassword)).StatusCode);
    }

    [Fact]
    public async Task ChangeByA_WithBsCurrentPassword_IsInvalidCredentials()
    {
        // A's bearer with B's password proves nothing about A.
        var alice = await client.SignupAndSigninAsync();
        var bob = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("bob"), BobsPassword);

        var change = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", alice.AccessToken,
            new { currentPassword = BobsPassword, newPassword = "an attempt with someone else's password" });

        await ProblemAssert.IsProblemAsync(change, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(bob, BobsPassword)).StatusCode);
    }

    [Fact]
    public async Task DeleteSession_OfAnotherUser_Is404_AndThatSessionStaysLive()
    {
        var alice = await client.SignupAndSigninAsync();
        var bob = await client.SigninAsync(await client.CreateVerifiedUserAsync(AuthClient.NewEmail("bob")));
        var bobSessionId = await CurrentSessionIdAsync(client, bob.AccessToken);

        var response = await client.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{bobSessionId}", alice.AccessToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "not_found");
        await using var db = client.OpenDatabase();
        Assert.Null(await db.ExecuteScalarAsync<DateTime?>("SELECT revoked_at FROM sessions WHERE id = @bobSessionId", new { bobSessionId }));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_events WHERE kind = 'session_revoked' AND details->>'sessionId' = @id", new { id = bobSessionId.ToString() }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", bob.AccessToken)).StatusCode);
        Assert.Equal(bobSessionId, await CurrentSessionIdAsync(client, bob.AccessToken));
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(bob.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task DeleteSession_OwnSession_Is204_AndRevokesIt()
    {
        // The positive control for the 404 above: the same call works on one's own other session.
        var email = await client.CreateVerifiedUserAsync();
        var phone = await client.SigninAsync(email);
        var laptop = await client.SigninAsync(email);
        var phoneId = await CurrentSessionIdAsync(client, phone.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{phoneId}", laptop.AccessToken)).StatusCode);

        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(phone.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await client.GetWithBearerAsync("/auth/me", phone.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", laptop.AccessToken)).StatusCode);
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task DeleteSession_UnknownId_Is404(string id)
    {
        var alice = await client.SignupAndSigninAsync();

        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{id}", alice.AccessToken),
            HttpStatusCode.NotFound, "not_found");
    }
}
