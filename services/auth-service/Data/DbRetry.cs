using Npgsql;
using Polly.Retry;
using Polly;

namespace AuthService.Data;

/// <summary>
/// Retries idempotent reads on transient database errors (a pooled connection broken by a database
/// restart, a failover): two quick retries with jittered backoff, well under a second in all.
/// Writes are not retried here: whether a failed commit happened is unknown to the client too.
/// </summary>
public static class DbRetry
{
    private static readonly ResiliencePipeline Reads = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(50),
            UseJitter = true,
        })
        .Build();

    public static ValueTask<T> ReadAsync<T>(Func<CancellationToken, ValueTask<T>> read, CancellationToken ct) =>
        Reads.ExecuteAsync(read, ct);
}
