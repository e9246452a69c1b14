using AuthService.Data;
using AuthService.Options;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;

namespace AuthService.Email;

public interface IEmailTransport
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}

/// <summary>Development transport: records that a mail left, never its body (which holds the token).</summary>
public sealed class LogEmailTransport(ILogger<LogEmailTransport> logger) : IEmailTransport
{
    public Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        logger.LogInformation("Email \"{Subject}\" to {To} (transport: log)", message.Subject, message.To);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Delivers pending outbox rows. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c> and stay locked
/// while they are sent, so several replicas never send the same row; failures back off exponentially
/// with jitter and stop after <c>Email:MaxAttempts</c> without holding up other mail.
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource, IEmailTransport transport, IOptions<EmailOptions> options,
    StartupGate gate, TimeProvider clock, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 20;
    private readonly EmailOptions email = options.Value;

    // Quick in-process retries ride out a blip; longer outages fall back to the row's persisted backoff.
    private readonly ResiliencePipeline sendRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            MaxRetryAttempts = 2,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(200),
            UseJitter = true,
        })
        .Build();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!await gate.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken)) { }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchBatchAsync(stoppingToken) == BatchSize) { }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Outbox dispatch skipped, database unavailable: {Message}", e.Message);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Outbox dispatch failed");
            }
            try
            {
                await Task.Delay(email.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends one batch of due rows; returns how many were claimed.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken ct)
    {
        const string claim = """
            SELECT id, "to", subject, text, html, attempts FROM outbox_emails
            WHERE sent_at IS NULL AND next_attempt_at <= @now AND attempts < @maxAttempts
            ORDER BY id LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED
            """;
        const string markSent = "UPDATE outbox_emails SET sent_at = @now, attempts = attempts + 1, last_error = NULL WHERE id = @id";
        const string markFailed = """
            UPDATE outbox_emails SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next WHERE id = @id
            """;

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var rows = (await conn.QueryAsync<Row>(new CommandDefinition(claim, new { now, maxAttempts = email.MaxAttempts, BatchSize }, tx, cancellationToken: ct))).ToList();
        foreach (var row in rows)
        {
            try
            {
                var message = new EmailMessage(row.to, row.subject, row.text, row.html);
                await sendRetry.ExecuteAsync(async token => await transport.SendAsync(message, token), ct);
                await conn.ExecuteAsync(new CommandDefinition(markSent, new { id = row.id, now = clock.GetUtcNow() }, tx, cancellationToken: ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var next = clock.GetUtcNow() + Backoff(row.attempts + 1);
                logger.LogWarning("Email {Id} attempt {Attempt} failed: {Error}", row.id, row.attempts + 1, e.Message);
                await conn.ExecuteAsync(new CommandDefinition(markFailed, new { id = row.id, error = Truncate(e.Message), next }, tx, cancellationToken: ct));
            }
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>2^attempt seconds (capped at an hour) plus up to 20% jitter, so retries of many rows spread out.</summary>
    internal static TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Min(3600, Math.Pow(2, attempt));
        return TimeSpan.FromSeconds(seconds * (1 + Random.Shared.NextDouble() * 0.2));
    }

    private static string Truncate(string value) => value.Length > 500 ? value[..500] : value;

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
    private sealed record Row(long id, string to, string subject, string text, string html, int attempts);
#pragma warning restore IDE1006
}
