using System.Diagnostics.Metrics;
using AuthService.Data;
using AuthService.Http;
using AuthService.Options;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Telemetry;

/// <summary>
/// Gauges of state the service keeps elsewhere: the outbox backlog and the age of its oldest unsent mail
/// (sampled from the database every <see cref="SampleInterval"/>, so a scrape never waits for a query,
/// and the outbox is shared, so every replica reports the same values: aggregate them with max), and the
/// age of the signing key that signs now (read from the in-memory key ring). Once the service is open it
/// also starts <see cref="AuthMetrics"/>' counter series at zero.
/// </summary>
internal sealed class StateGauges : BackgroundService
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(15);

    private readonly AuthMetrics metrics;
    private readonly NpgsqlDataSource dataSource;
    private readonly SigningKeyRing keyRing;
    private readonly StartupGate gate;
    private readonly TimeProvider clock;
    private readonly ILogger<StateGauges> logger;
    private readonly int maxAttempts;
    private volatile OutboxSample? outbox;

    public StateGauges(IMeterFactory meterFactory, AuthMetrics metrics, NpgsqlDataSource dataSource, SigningKeyRing keyRing, StartupGate gate,
        IOptions<EmailOptions> email, TimeProvider clock, ILogger<StateGauges> logger)
    {
        this.metrics = metrics;
        this.dataSource = dataSource;
        this.keyRing = keyRing;
        this.gate = gate;
        this.clock = clock;
        this.logger = logger;
        maxAttempts = email.Value.MaxAttempts;
        var meter = meterFactory.Create(AuthMetrics.MeterName);
        meter.CreateObservableGauge("auth.outbox.backlog", ObserveBacklog, "{email}",
            "Mails not sent yet that will still be tried (deferred by the per-address throttle included).");
        meter.CreateObservableGauge("auth.outbox.oldest_unsent.age", ObserveOldestAge, "s",
            "Age of the oldest mail in the backlog; 0 when it is empty.");
        meter.CreateObservableGauge("auth.signing_key.age", ObserveSigningKeyAge, "s",
            "Time since the key that signs now started signing (Auth:SigningKeys:RotationInterval rotates it).");
    }

    /// <summary>Reads the backlog once; the gauges report it until the next sample.</summary>
    public async Task SampleOutboxAsync(CancellationToken ct)
    {
        // Served by the partial index outbox_emails_pending (unsent, not dropped rows only).
        const string sql = """
            SELECT count(*) AS Pending, min(created_at) AS Oldest FROM outbox_emails
            WHERE sent_at IS NULL AND dropped_at IS NULL AND attempts < @maxAttempts
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var (pending, oldest) = await conn.QuerySingleAsync<OutboxRow>(sql, new { maxAttempts, ct });
        outbox = new OutboxSample(pending, oldest is { } o ? DbTime.Utc(o) : null);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!await gate.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken)) { }
            metrics.OpenSeries(); // the meter provider was built before the service opened
            using var timer = new PeriodicTimer(SampleInterval);
            do
            {
                try
                {
                    await SampleOutboxAsync(stoppingToken);
                }
                catch (Exception e) when (ApiExceptionHandler.DatabaseUnavailable(e))
                {
                    // The last sample stands: mail that was waiting is still waiting.
                    logger.LogDebug("Outbox backlog not sampled, database unavailable: {Message}", e.Message);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Outbox backlog sampling failed");
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private IEnumerable<Measurement<long>> ObserveBacklog() =>
        outbox is { } sample ? [new Measurement<long>(sample.Pending)] : [];

    private IEnumerable<Measurement<double>> ObserveOldestAge() =>
        outbox is { } sample
            ? [new Measurement<double>(sample.Oldest is { } oldest ? Math.Max(0, (clock.GetUtcNow() - oldest).TotalSeconds) : 0)]
            : [];

    private IEnumerable<Measurement<double>> ObserveSigningKeyAge()
    {
        KeySet keys;
        try
        {
            keys = keyRing.Current;
        }
        catch (InvalidOperationException)
        {
            return []; // not loaded yet
        }
        var now = clock.GetUtcNow();
        return [new Measurement<double>(Math.Max(0, (now - keys.SignerAt(now).NotBefore).TotalSeconds))];
    }

    internal sealed record OutboxRow(long Pending, DateTime? Oldest);
    private sealed record OutboxSample(long Pending, DateTimeOffset? Oldest);
}
