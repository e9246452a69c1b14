using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Sessions;

/// <summary>
/// The grace window is measured with the database's clock once the session row is locked: a
/// request that waited for the lock is judged at the moment it got it, not when it arrived. A
/// rotation is dated when its statement starts, so a wait can only shorten the window it opens.
/// </summary>
[Trait("Category", "Timing")]
public sealed class RefreshClockTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task GraceReplay_ThatWaitedForTheLockPastTheWindow_IsReuse()
    {
        await using var factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Auth:RefreshReuseGrace"] = "00:00:01",
        });
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        await client.RotateAsync(signedIn.RefreshToken);

        // The replay arrives at once (well inside the window by the service's clock, which the test
        // holds still) but gets the session row only after Hold > Grace.
        var replay = await WhileSessionLockedAsync(client, sessionId, () => client.RefreshAsync(signedIn.RefreshToken));

        await ProblemAssert.IsProblemAsync(replay, HttpStatusCode.Unauthorized, "refresh_token_reused");
        Assert.Equal("refresh_token_reused", (await client.SessionAsync(sessionId)).RevokedReason);
    }

    [Fact]
    public async Task Rotation_ThatWaitedForTheLock_IsDatedWhenItArrived_SoNoGraceWindowStretches()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var arrivedAt = factory.Clock.GetUtcNow();

        var rotated = await WhileSessionLockedAsync(client, sessionId, () => client.RefreshAsync(signedIn.RefreshToken));

        // The rotation is one UPDATE that reads the clock when it starts, before the lock wait: the grace window of
        // the token it retired runs from then, so a wait shortens that window and never lengthens it.
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var rotatedAt = (await client.RefreshStateAsync(sessionId)).RotatedAt!.Value;
        var offset = rotatedAt - arrivedAt.UtcDateTime;
        Assert.True(offset >= TimeSpan.FromMilliseconds(-1) && offset < Hold / 2,
            $"rotated_at is {offset.TotalMilliseconds:F0} ms after the request arrived; the lock was held {Hold.TotalMilliseconds} ms");
        SessionTestKit.SameInstant(new DateTimeOffset(rotatedAt, TimeSpan.Zero), (await client.SessionAsync(sessionId)).LastUsedAt);
    }

    /// <summary>Sends <paramref name="request"/> while a test transaction holds the session row for <see cref="Hold"/>.</summary>
    private static async Task<HttpResponseMessage> WhileSessionLockedAsync(AuthClient client, Guid sessionId, Func<Task<HttpResponseMessage>> request)
    {
        Task<HttpResponseMessage> pending;
        await using (var holder = client.OpenDatabase())
        {
            await using var tx = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("SELECT id FROM sessions WHERE id = @sessionId FOR UPDATE", new { sessionId }, tx);
            pending = Task.Run(request);
            await Task.Delay(Hold);
            await tx.CommitAsync();
        }
        return await pending;
    }
}
