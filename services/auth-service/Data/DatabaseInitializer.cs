using AuthService.Options;
using AuthService.Tokens;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;

namespace AuthService.Data;

/// <summary>
/// Brings the database up to date at startup (migrations, a signing key) and keeps the key ring
/// fresh afterwards. It waits for PostgreSQL with backoff instead of crashing, so the service can
/// start before its database; until it is done, <see cref="StartupGate"/> holds requests back.
/// </summary>
public sealed class DatabaseInitializer(
    MigrationRunner migrations, SigningKeyStore keyStore, SigningKeyRing keyRing, StartupGate gate,
    IOptions<AuthOptions> options, TimeProvider clock, ILogger<DatabaseInitializer> logger) : BackgroundService
{
    public static readonly TimeSpan KeyReloadInterval = TimeSpan.FromSeconds(30);

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
                gate.DatabaseUnreachable = true;
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
                if (await keyStore.EnsureSigningKeyAsync(clock.GetUtcNow(), ct))
                    logger.LogInformation("Created the first signing key");
                await MaintainKeysAsync(ct);
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
            throw;
        }

        using var timer = new PeriodicTimer(KeyReloadInterval, clock);
        while (await WaitTick(timer, stoppingToken))
        {
            try
            {
                await MaintainKeysAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Signing keys not reloaded, database unavailable: {Message}", e.Message);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Keep serving with the keys already loaded; a failed reload must not stop the host.
                logger.LogError(e, "Signing key maintenance failed");
            }
        }
    }

    /// <summary>Schedules a rotation when one is due (any replica may; the store's lock keeps it to one key) and reloads the ring.</summary>
    public async Task MaintainKeysAsync(CancellationToken ct)
    {
        var auth = options.Value;
        var rotated = await keyStore.RotateIfDueAsync(clock.GetUtcNow(), auth.SigningKeys.RotationInterval,
            auth.SigningKeys.PublishLead, auth.AccessTokenLifetime, ct);
        if (rotated is not null) logger.LogInformation("Scheduled signing key {Kid}", rotated);
        await keyRing.ReloadAsync(ct);
    }

    private static async Task<bool> WaitTick(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>Open once the database is migrated and the signing keys are loaded.</summary>
public sealed class StartupGate
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => ready.Task.IsCompletedSuccessfully;

    /// <summary>Set while startup keeps failing to reach the database: requests then get their 503 at once.</summary>
    public bool DatabaseUnreachable { get; set; }

    public void Open() => ready.TrySetResult();

    public void Fail(Exception e) => ready.TrySetException(e);

    /// <summary>True when open, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (IsOpen) return true;
        try
        {
            await ready.Task.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
