using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using AuthService.Sessions;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Sessions;

/// <summary>
/// Refreshes that arrive together are rotated together (Sessions/RefreshRotationBatcher): one database call for many,
/// each answered with its own successor, a busy session never holding the others up, and every refresh the batch
/// does not rotate decided by the single call as before. The batches are made to form by holding the sessions table
/// while the refreshes queue, then letting them go.
/// </summary>
public sealed class RefreshBatchingTests(LongLockTimeoutFixture fixture) : IClassFixture<LongLockTimeoutFixture>
{
    private const string BatchSizeMetric = "auth.refresh.batch.size";

    [Fact]
    public async Task ParallelRefreshesOfSixteenSessions_RotateInAFewCalls_EachWithItsOwnSuccessor()
    {
        var client = new AuthClient(fixture.Factory);
        var email = await client.CreateVerifiedUserAsync();
        var sessions = new List<SignedIn>();
        for (var i = 0; i < 16; i++) sessions.Add(await client.SigninAsync(email));
        using var batches = new BatchSizes(fixture.Factory);

        HttpResponseMessage[] responses;
        await using (var holder = await HoldSessionsTableAsync(client))
        {
            var pending = sessions.Select(s => client.RefreshAsync(s.RefreshToken)).ToArray();
            await WaitUntilAllQueuedOrWaitingAsync(client, holder.Connection, batches, sessions.Count);
            await holder.Transaction.CommitAsync();
            responses = await Task.WhenAll(pending);
        }

        var cookies = new List<string>();
        foreach (var (signedIn, response) in sessions.Zip(responses))
        {
            var cookie = await SessionTestKit.NewCookieAsync(response);
            cookies.Add(cookie);
            // Its own session, rotated exactly once, to exactly the cookie it was answered with.
            var state = await client.RefreshStateAsync(SessionTestKit.SessionIdOf(signedIn.AccessToken));
            Assert.Equal(SessionTestKit.SessionIdOf(signedIn.AccessToken), SessionTestKit.SessionIdOfRefreshToken(cookie));
            Assert.Equal(SessionTestKit.SecretHash(signedIn.RefreshToken), state.PreviousHash);
            Assert.Equal(SessionTestKit.SecretHash(cookie), state.CurrentHash);
            Assert.Equal(1, state.Generation);
        }
        Assert.Equal(16, cookies.Distinct().Count());
        Assert.Equal(16, batches.Sizes.Sum());
        Assert.InRange(batches.Sizes.Count, 1, 3); // at most one blocked batch per drainer, then one with the rest
        foreach (var cookie in cookies) await client.RotateAsync(cookie);
    }

    [Fact]
    public async Task TwoRefreshesOfOneTokenInOneBatch_RotateOnce_AndBothGetTheSameSuccessor()
    {
        var client = new AuthClient(fixture.Factory);
        var signedIn = await client.SignupAndSigninAsync();
        var blockers = new[] { await client.SignupAndSigninAsync(), await client.SignupAndSigninAsync() };
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var batcher = fixture.Factory.Services.GetRequiredService<RefreshRotationBatcher>();
        using var batches = new BatchSizes(fixture.Factory);

        HttpResponseMessage[] responses;
        await using (var holder = await HoldSessionsTableAsync(client))
        {
            // Each drainer's batch waits in the database, one blocker each; the two identical refreshes queue behind them.
            var blocked = new List<Task<HttpResponseMessage>>();
            foreach (var blocker in blockers)
            {
                blocked.Add(client.RefreshAsync(blocker.RefreshToken));
                await WaitForLockWaitersAsync(client, holder.Connection, blocked.Count);
            }
            var pending = new[] { client.RefreshAsync(signedIn.RefreshToken), client.RefreshAsync(signedIn.RefreshToken) };
            await WaitUntilAsync(() => batcher.Queued == 2, "the two refreshes never queued together");
            await holder.Transaction.CommitAsync();
            responses = await Task.WhenAll(pending);
            foreach (var response in await Task.WhenAll(blocked)) await SessionTestKit.NewCookieAsync(response);
        }

        Assert.Equal([1, 1, 2], batches.Sizes.Order());
        var first = await SessionTestKit.NewCookieAsync(responses[0]);
        var second = await SessionTestKit.NewCookieAsync(responses[1]);
        Assert.Equal(first, second);
        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(1, state.Generation);
        Assert.Equal(SessionTestKit.SecretHash(first), state.CurrentHash);
        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);
    }

    [Fact]
    public async Task LockedSessions_AreLeftToTheSingleCall_AndHoldUpNoOtherRefresh()
    {
        var client = new AuthClient(fixture.Factory);
        var locked = new List<SignedIn>();
        for (var i = 0; i < 3; i++) locked.Add(await client.SignupAndSigninAsync());
        var free = await client.SignupAndSigninAsync();

        await using var conn = client.OpenDatabase();
        await using var tx = await conn.BeginTransactionAsync();
        var ids = locked.Select(s => SessionTestKit.SessionIdOf(s.AccessToken)).ToArray();
        await conn.ExecuteAsync("SELECT id FROM sessions WHERE id = ANY(@ids) FOR UPDATE", new { ids }, tx);

        // One by one, each refresh of a locked session ends up waiting for its row: in the single call, since a batch
        // skips locked rows. Were batches to wait instead, the third would find both drainers stuck and never reach a lock.
        var pending = new List<Task<HttpResponseMessage>>();
        foreach (var signedIn in locked)
        {
            pending.Add(client.RefreshAsync(signedIn.RefreshToken));
            await WaitForLockWaitersAsync(client, conn, pending.Count);
        }

        // Meanwhile a refresh of any other session goes through at once.
        await SessionTestKit.NewCookieAsync(await client.RefreshAsync(free.RefreshToken));
        Assert.All(pending, p => Assert.False(p.IsCompleted, "A refresh of a locked session should still wait for its row"));

        await tx.CommitAsync();
        foreach (var response in await Task.WhenAll(pending)) await SessionTestKit.NewCookieAsync(response);
    }

    [Fact]
    public async Task WhenABatchFails_EachRefreshIsDecidedAlone()
    {
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var reused = await client.SignupAndSigninAsync();
        var reusedSuccessor = await client.RotateAsync(reused.RefreshToken);
        await using (var conn = client.OpenDatabase())
            await conn.ExecuteAsync("DROP FUNCTION rotate_refresh_tokens_v1(uuid[], bytea[], bytea[], interval, interval, text)");

        // Rotation, grace and reuse as ever, each by the single call.
        var next = await client.RotateAsync(signedIn.RefreshToken);
        Assert.Equal(next, await client.RotateAsync(signedIn.RefreshToken));
        Assert.True(await client.IsNewestAsync(next));
        factory.Clock.Advance(TimeSpan.FromMinutes(1));
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(reused.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");
        Assert.NotNull((await client.SessionAsync(SessionTestKit.SessionIdOf(reused.AccessToken))).RevokedAt);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(reusedSuccessor), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.DoesNotContain(factory.Logs.Lines, l => l.StartsWith("Error ") || l.StartsWith("Critical "));
    }

    private sealed record TableHolder(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>A lock on the sessions table that every rotation waits for (SHARE conflicts with an UPDATE's ROW EXCLUSIVE).</summary>
    private static async Task<TableHolder> HoldSessionsTableAsync(AuthClient client)
    {
        var conn = client.OpenDatabase();
        var tx = await conn.BeginTransactionAsync();
        await conn.ExecuteAsync("LOCK TABLE sessions IN SHARE MODE", transaction: tx);
        return new TableHolder(conn, tx);
    }

    /// <summary>Until <paramref name="count"/> refreshes are in batches (waiting in the database) or queued for the next.</summary>
    private async Task WaitUntilAllQueuedOrWaitingAsync(AuthClient client, NpgsqlConnection holder, BatchSizes batches, int count)
    {
        var batcher = fixture.Factory.Services.GetRequiredService<RefreshRotationBatcher>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (batches.Sizes.Sum() + batcher.Queued >= count && await LockWaitersAsync(client, holder) >= 1) return;
            await Task.Delay(10);
        }
        Assert.Fail($"Only {batches.Sizes.Sum()} refreshes in batches and {batcher.Queued} queued of {count}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    private static async Task WaitForLockWaitersAsync(AuthClient client, NpgsqlConnection holder, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await LockWaitersAsync(client, holder) >= count) return;
            await Task.Delay(10);
        }
        Assert.Fail($"Fewer than {count} refreshes ever waited for a locked session");
    }

    private static async Task<long> LockWaitersAsync(AuthClient client, NpgsqlConnection holder)
    {
        await using var conn = client.OpenDatabase();
        return await conn.ExecuteScalarAsync<long>("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND @holderPid = ANY(pg_blocking_pids(pid))
            """, new { holderPid = holder.ProcessID });
    }

    /// <summary>The sizes of the batches one test host's batcher starts, from its own meter.</summary>
    private sealed class BatchSizes : IDisposable
    {
        private readonly MeterListener listener = new();
        private readonly ConcurrentQueue<int> sizes = new();

        public BatchSizes(AuthServiceFactory factory)
        {
            var meters = factory.Services.GetRequiredService<IMeterFactory>();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == BatchSizeMetric && instrument.Meter.Scope == meters) l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<int>((_, size, _, _) => sizes.Enqueue(size));
            listener.Start();
        }

        public IReadOnlyList<int> Sizes => [.. sizes];

        public void Dispose() => listener.Dispose();
    }
}
