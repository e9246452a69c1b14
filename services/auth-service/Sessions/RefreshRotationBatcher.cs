using System.Threading.Channels;
using AuthService.Data;
using AuthService.Options;
using AuthService.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>
/// Rotates the newest tokens of live sessions in batches: the refreshes that arrive while a batch is in the database
/// go together in the next one, one call of <c>rotate_refresh_tokens_v1</c> (the SQL file beside this one) and one
/// durable commit for all of them. A rotation's cost is mostly its commit and round trip, not its row, so under load
/// this is several times cheaper than a transaction per refresh; alone, a refresh is a batch of one and waits for
/// nothing. Every refresh still waits for the commit of its own rotation before it is answered.
/// A refresh the batch does not rotate (grace, reuse, a locked, revoked or unknown session), and every refresh of a
/// batch that fails, goes on to <see cref="RefreshRotation"/>'s single call, which decides it as it did before
/// batching: the successor is derived from the presented secret, so even a batch that committed but whose answer was
/// lost is then seen as a retry within the grace window and answered with the same successor.
/// </summary>
internal sealed class RefreshRotationBatcher(
    NpgsqlDataSource dataSource, IOptions<AuthOptions> options, TimeProvider clock, AuthMetrics metrics, ILogger<RefreshRotationBatcher> logger)
    : BackgroundService
{
    /// <summary>Batches in the database at once: while one waits for its commit, the next is gathered and sent.</summary>
    private const int Concurrency = 2;

    /// <summary>Refreshes in one call at most.</summary>
    private const int MaxBatch = 128;

    private readonly Channel<PendingRotation> queue = Channel.CreateUnbounded<PendingRotation>();
    private readonly AuthOptions auth = options.Value;

    /// <summary>
    /// The session's row after rotating it to <paramref name="successorHash"/>; null when the batch left the refresh to the
    /// single call (also once the service is stopping).
    /// </summary>
    public Task<RefreshRotation.Row?> RotateAsync(Guid sessionId, byte[] tokenHash, byte[] successorHash)
    {
        var pending = new PendingRotation(sessionId, tokenHash, successorHash);
        return queue.Writer.TryWrite(pending) ? pending.Result : Task.FromResult<RefreshRotation.Row?>(null);
    }

    /// <summary>Refreshes waiting for the next batch.</summary>
    internal int Queued => queue.Reader.Count;

    /// <summary>Stops taking refreshes and finishes the queued ones (bounded by the host's shutdown timeout).</summary>
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(DrainAsync, CancellationToken.None)));

    private async Task DrainAsync()
    {
        var batch = new List<PendingRotation>(MaxBatch);
        // Until the writer completes, not until stoppingToken: queued refreshes are answered on shutdown.
        while (await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var pending)) batch.Add(pending);
            if (batch.Count == 0) continue;
            await RotateBatchAsync(batch);
            batch.Clear();
        }
    }

    private async Task RotateBatchAsync(List<PendingRotation> batch)
    {
        const string sql = $"""
            SELECT {RefreshRotation.Row.Columns}
            FROM rotate_refresh_tokens_v1(@sessionIds, @tokenHashes, @successorHashes, @clockOffset, @idle, @lockTimeout)
            """;
        metrics.RefreshBatch(batch.Count);
        List<RefreshRotation.Row> rows;
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync();
            rows = [.. await conn.QueryAsync<RefreshRotation.Row>(sql, new
            {
                sessionIds = batch.Select(p => p.SessionId).ToArray(),
                tokenHashes = batch.Select(p => p.TokenHash).ToArray(),
                successorHashes = batch.Select(p => p.SuccessorHash).ToArray(),
                clockOffset = DbTime.ClockOffset(clock),
                idle = auth.RefreshTokenIdleLifetime,
                lockTimeout = auth.RefreshLockTimeoutSetting,
            })];
        }
        catch (Exception e)
        {
            // The single calls decide; they also surface the error to their callers if it persists.
            if (e is NpgsqlException or TimeoutException) logger.LogDebug(e, "A batch of {Count} refreshes failed; each goes on alone", batch.Count);
            else logger.LogError(e, "A batch of {Count} refreshes failed; each goes on alone", batch.Count);
            rows = [];
        }

        foreach (var pending in batch)
            pending.Complete(rows.Find(row => row.SessionId == pending.SessionId && row.CurrentHash.AsSpan().SequenceEqual(pending.SuccessorHash)));
    }

    private sealed class PendingRotation(Guid sessionId, byte[] tokenHash, byte[] successorHash)
    {
        // Asynchronous continuations: each refresh signs and answers on its own thread, not on the batch's.
        private readonly TaskCompletionSource<RefreshRotation.Row?> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Guid SessionId => sessionId;
        public byte[] TokenHash => tokenHash;
        public byte[] SuccessorHash => successorHash;
        public Task<RefreshRotation.Row?> Result => completion.Task;

        public void Complete(RefreshRotation.Row? row) => completion.TrySetResult(row);
    }
}
