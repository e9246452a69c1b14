using Npgsql;
using Polly;
using Polly.Retry;

namespace AuthService.Data;

/// <summary>
/// Brings the database up to date at startup (migrations, then the features' <see cref="IStartupStep"/>s,
/// such as Tokens' first signing key). It waits for PostgreSQL with backoff instead of crashing, so the
/// service can start before its database; until it is done, <see cref="StartupGate"/> holds requests back.
/// </summary>
internal sealed class DatabaseInitializer(
    MigrationRunner migrations, IEnumerable<IStartupStep> steps, StartupGate gate, ILogger<DatabaseInitializer> logger) : BackgroundService
{
    private ResiliencePipeline WaitForDatabase() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>().Handle<TimeoutException>(),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(2),
            UseJitter = true,
            OnRetry = args =>
            {
                gate.MarkDatabaseUnreachable();
                if (args.AttemptNumber % 10 == 0)
                    logger.LogWarning("Waiting for the database: {Message}", args.Outcome.Exception?.Message);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitForDatabase().ExecuteAsync(async ct =>
            {
                var applied = await migrations.ApplyAsync(ct);
                foreach (var step in steps) await step.RunAsync(ct);
                logger.LogInformation("Database ready ({Applied} migration(s) applied)", applied);
            }, stoppingToken);
            gate.Open();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            gate.Fail(e);
            logger.LogCritical(e, "Database initialization failed");
            // The host stops on this exception but would still exit 0; a supervisor (Docker's
            // restart policy, a process manager) must see that the service failed.
            Environment.ExitCode = 1;
            throw;
        }
    }
}
