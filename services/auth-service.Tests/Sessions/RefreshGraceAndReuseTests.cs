using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Sessions;

/// <summary>
/// API.md "Grace window" and reuse detection. The test clock only moves when told to, so "inside the
/// window" is exact (zero elapsed) and "after the window" is Advance(grace + 1s). Default grace: 10 s.
/// </summary>
public sealed class RefreshGraceAndReuseTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private TestClock Clock => fixture.Factory.Clock;

    [Fact]
    public async Task Refresh_TwentyParallelWithSameTokenInsideGrace_AllGetSameNewCookieAndSessionDoesNotFork()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await client.RefreshAsync(signedIn.RefreshToken);
        })).ToArray();
        start.SetResult();
        var responses = await Task.WhenAll(tasks);

        await AssertConvergedAsync(client, signedIn, responses);
    }

    [Fact]
    public async Task Refresh_TwentyParallelQueuedBehindBusySession_AllGetSameNewCookieAndSessionDoesNotFork()
    {
        // Guaranteed overlap: a test transaction holds the session row while the 20 refreshes pile up
        // behind it (well inside the default 3 s lock timeout), then lets them all go at once.
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        Task<HttpResponseMessage[]> all;
        await using (var holder = client.OpenDatabase())
        {
            await using var tx = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("SELECT id FROM sessions WHERE id = @sessionId FOR UPDATE", new { sessionId }, tx);
            all = Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => client.RefreshAsync(signedIn.RefreshToken))));
            var queued = await WaitForLockWaitersAsync(client, holder.ProcessID, 20, TimeSpan.FromSeconds(2));
            Assert.True(queued >= 2, $"Only {queued} refresh(es) ever queued behind the session lock: no overlap was produced");
            await tx.CommitAsync();
        }

        await AssertConvergedAsync(client, signedIn, await all);
    }

    /// <summary>Polls until <paramref name="wanted"/> backends wait on a lock or the time is up; returns the last count.</summary>
    private static async Task<long> WaitForLockWaitersAsync(AuthClient client, int holderPid, int wanted, TimeSpan within)
    {
        await using var conn = client.OpenDatabase();
        var deadline = DateTime.UtcNow + within;
        long waiting;
        do
        {
            waiting = await conn.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> @holderPid",
                new { holderPid });
            if (waiting >= wanted) break;
            await Task.Delay(20);
        } while (DateTime.UtcNow < deadline);
        return waiting;
    }

    /// <summary>All answered 200 with one and the same new cookie; one live token; session intact; the cookie rotates on.</summary>
    private static async Task AssertConvergedAsync(AuthClient client, SignedIn signedIn, HttpResponseMessage[] responses)
    {
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var statuses = responses.Select(r => (int)r.StatusCode).ToList();
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.True(statuses.All(s => s == 200), "Statuses: " + string.Join(",", statuses) + "\n" + string.Join("\n", bodies.Distinct()));
        var cookies = responses.Select(AuthClient.RefreshCookieValue).ToList();
        Assert.All(cookies, c => Assert.False(string.IsNullOrEmpty(c)));
        var converged = Assert.Single(cookies.Distinct())!;
        Assert.NotEqual(signedIn.RefreshToken, converged);

        // Database: one rotation (the one every tab got), the original its predecessor, session not revoked.
        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(1, state.Generation);
        Assert.Equal(SessionTestKit.SecretHash(converged), state.CurrentHash);
        Assert.Equal(SessionTestKit.SecretHash(signedIn.RefreshToken), state.PreviousHash);
        var session = await client.SessionAsync(sessionId);
        Assert.Null(session.RevokedAt);
        Assert.Null(session.RevokedReason);

        // Every access token handed out works, and the converged cookie keeps rotating.
        foreach (var response in responses.Take(3))
            Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", await SessionTestKit.AccessTokenOfAsync(response))).StatusCode);
        var next = await client.RotateAsync(converged);
        Assert.NotEqual(converged, next);
        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);
    }

    [Fact]
    public async Task Refresh_GraceReplayOfPredecessor_ReturnsSameTokenAsFirstRotation()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        var first = await client.RotateAsync(signedIn.RefreshToken);
        Clock.Advance(TimeSpan.FromSeconds(9)); // still inside the 10 s window
        var replay = await client.RefreshAsync(signedIn.RefreshToken);

        Assert.Equal(first, await SessionTestKit.NewCookieAsync(replay));
        var replayCookie = SetCookie.Single(replay);
        Assert.True(replayCookie.Has("HttpOnly") && replayCookie.Has("Secure"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", await SessionTestKit.AccessTokenOfAsync(replay))).StatusCode);

        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(1, state.Generation); // the replay rotated nothing
        Assert.Equal(SessionTestKit.SecretHash(first), state.CurrentHash);
        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);

        // The converged token is still the live one.
        await client.RotateAsync(first);
    }

    [Fact]
    public async Task Refresh_TokenTwoGenerationsOldInsideGrace_RevokesSessionWithReusedCode()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var t0 = signedIn.RefreshToken;
        var t1 = await client.RotateAsync(t0);
        var t2 = await client.RotateAsync(t1);

        var response = await client.RefreshAsync(t0); // no time has passed: inside the window

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        Assert.True(AuthClient.RefreshCookieValue(response) is null or "", "A reuse answer must not hand out a token");
        await AssertRevokedForReuseAsync(client, sessionId);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(t2), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Refresh_RetiredTokenAfterGrace_RevokesSessionWithReusedCode()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var t1 = await client.RotateAsync(signedIn.RefreshToken);

        Clock.Advance(TimeSpan.FromSeconds(11));
        var response = await client.RefreshAsync(signedIn.RefreshToken);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertRevokedForReuseAsync(client, sessionId);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(t1), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task Refresh_PredecessorAfterSuccessorWasUsedInsideGrace_RevokesSessionWithReusedCode()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var t0 = signedIn.RefreshToken;
        var t1 = await client.RotateAsync(t0);
        Assert.Equal(t1, await client.RotateAsync(t0)); // grace replay while t1 is unused: fine
        var t2 = await client.RotateAsync(t1);          // t1 is now used

        var response = await client.RefreshAsync(t0);   // same instant: well inside the window

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertRevokedForReuseAsync(client, sessionId);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(t2), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(t1), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task Refresh_ImmediatePredecessorOfUnusedNewestToken_IsGraceNotReuse()
    {
        // After t0 -> t1 -> t2, t1 is the immediate predecessor of the unused newest t2: a lost response for t1's refresh.
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var t1 = await client.RotateAsync(signedIn.RefreshToken);
        var t2 = await client.RotateAsync(t1);

        Assert.Equal(t2, await client.RotateAsync(t1));
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken))).RevokedAt);
    }

    [Fact]
    public async Task Refresh_ReuseRevocation_IsCommittedAndOtherSessionsOfUserStayLive()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var victim = await client.SigninAsync(email);
        var otherTab = await client.SigninAsync(email);
        var t1 = await client.RotateAsync(victim.RefreshToken);
        await client.RotateAsync(t1);

        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(victim.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        // A fresh connection sees the revocation: it was committed although the request failed.
        await AssertRevokedForReuseAsync(client, SessionTestKit.SessionIdOf(victim.AccessToken));
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(otherTab.AccessToken))).RevokedAt);
        await client.RotateAsync(otherTab.RefreshToken);
    }

    [Fact]
    public async Task Refresh_ReusedTokenPresentedAgain_StaysRejected()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var t1 = await client.RotateAsync(signedIn.RefreshToken);
        await client.RotateAsync(t1);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        var again = await client.RefreshAsync(signedIn.RefreshToken);

        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.True(AuthClient.RefreshCookieValue(again) is null or "");
    }

    private static async Task AssertRevokedForReuseAsync(AuthClient client, Guid sessionId)
    {
        var session = await client.SessionAsync(sessionId);
        Assert.NotNull(session.RevokedAt);
        Assert.Equal("refresh_token_reused", session.RevokedReason);
    }
}
