using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Sessions;

/// <summary>Service with Auth:RefreshLockTimeout = 500 ms, so a held session lock answers 409 quickly.</summary>
public sealed class ShortLockTimeoutFixture() : SettingsFixture(new Dictionary<string, string?> { ["Auth:RefreshLockTimeout"] = "00:00:00.500" });

[Trait("Category", "Timing")]
public sealed class RefreshContentionTests(ShortLockTimeoutFixture fixture) : IClassFixture<ShortLockTimeoutFixture>
{
    [Fact]
    public async Task Refresh_SessionRowLockedLongerThanTimeout_Returns409RefreshConflictWithRetryAfter()
    {
        var client = new AuthClient(fixture.Factory);
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        await using (var holder = await LockSessionAsync(client, sessionId))
        {
            var response = await client.RefreshAsync(signedIn.RefreshToken);

            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "refresh_conflict");
            Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero,
                $"Retry-After was '{response.Headers.RetryAfter}'");
            Assert.True(AuthClient.RefreshCookieValue(response) is null, "A conflict must leave the client's cookie alone");
            await holder.Transaction.RollbackAsync();
        }

        // Nothing changed while the lock was held: the token is still the live one, and now it rotates.
        Assert.True(await client.IsNewestAsync(signedIn.RefreshToken));
        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);
        await client.RotateAsync(signedIn.RefreshToken);
    }

    [Fact]
    public async Task Refresh_ParallelRequestsWhileSessionLocked_AllAnswer409NeverServerError()
    {
        var client = new AuthClient(fixture.Factory);
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        var logsBefore = fixture.Factory.Logs.Lines.Count;
        HttpResponseMessage[] responses;
        await using (var holder = await LockSessionAsync(client, sessionId))
        {
            responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.RefreshAsync(signedIn.RefreshToken)));
            await holder.Transaction.RollbackAsync();
        }

        foreach (var response in responses)
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "refresh_conflict");
            Assert.NotNull(response.Headers.RetryAfter);
        }
        Assert.DoesNotContain(fixture.Factory.Logs.Lines.Skip(logsBefore), l => l.StartsWith("Error ") || l.StartsWith("Critical "));
        await client.RotateAsync(signedIn.RefreshToken);
    }

    [Fact]
    public async Task Refresh_LockReleasedWithinTimeout_WaitsItsTurnAndSucceeds()
    {
        // Default lock timeout (3 s) here: the refresh must queue behind the holder, not fail.
        await using var factory = await AuthServiceFactory.CreateAsync();
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        Task<HttpResponseMessage> pending;
        await using (var holder = await LockSessionAsync(client, sessionId))
        {
            pending = client.RefreshAsync(signedIn.RefreshToken);
            await WaitUntilABackendWaitsOnALockAsync(client, holder.Connection);
            Assert.False(pending.IsCompleted, "The refresh should be waiting for the session lock");
            await holder.Transaction.CommitAsync();
        }

        await SessionTestKit.NewCookieAsync(await pending);
    }

    private sealed record LockHolder(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>BEGIN; SELECT … FROM sessions WHERE id = … FOR UPDATE — held until the transaction ends.</summary>
    private static async Task<LockHolder> LockSessionAsync(AuthClient client, Guid sessionId)
    {
        var conn = client.OpenDatabase();
        var tx = await conn.BeginTransactionAsync();
        var locked = await conn.ExecuteScalarAsync<Guid?>("SELECT id FROM sessions WHERE id = @sessionId FOR UPDATE", new { sessionId }, tx);
        Assert.Equal(sessionId, locked);
        return new LockHolder(conn, tx);
    }

    private static async Task WaitUntilABackendWaitsOnALockAsync(AuthClient client, NpgsqlConnection holder)
    {
        var holderPid = holder.ProcessID;
        await using var conn = client.OpenDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(2.5);
        while (DateTime.UtcNow < deadline)
        {
            var waiting = await conn.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND @holderPid = ANY(pg_blocking_pids(pid))
                """, new { holderPid });
            if (waiting > 0) return;
            await Task.Delay(20);
        }
        Assert.Fail("No refresh ever waited on the session lock");
    }
}
