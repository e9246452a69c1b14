using System.Data;
using System.Text.Json;
using AuthService.Data;
using AuthService.Options;
using AuthService.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;

namespace AuthService.Email;

/// <summary>
/// Delivers pending outbox rows in two steps, each in its own transaction:
/// <list type="number">
/// <item>Render: rows of a kind rendered at send time are claimed (<c>FOR UPDATE SKIP LOCKED</c>), the
/// kind's <see cref="IOutboxMail"/> mints the link and writes subject/text/html, and the row is
/// marked rendered. Throttled kinds first take a transaction-scoped advisory lock on their (address,
/// kind) and decide under it: an older row is dropped when a newer one of the kind is pending, and
/// a row is deferred to the end of <c>Email:MinIntervalPerAddress</c> after the last rendered mail of
/// the kind, so replicas dispatching at once never both mail one address within the interval. This
/// transaction is short and holds no SMTP connection, so requests that drop or void mails (password
/// change) wait for it at most briefly.</item>
/// <item>Send: rendered rows are claimed <c>FOR UPDATE SKIP LOCKED</c> and stay locked while they are
/// sent, so several replicas never send the same row; failures back off exponentially with jitter and
/// stop after <c>Email:MaxAttempts</c> without holding up other mail.</item>
/// </list>
/// </summary>
public sealed class OutboxDispatcher(
    NpgsqlDataSource dataSource, IEmailTransport transport, OutboxMails mails, IOptions<EmailOptions> options,
    StartupGate gate, TimeProvider clock, AuthMetrics metrics, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 20;
    // First key of the two-key advisory locks on (address, kind); the two-key space is separate from the one-key one.
    private const int ThrottleLockClass = 0x6d61696c; // "mail"
    private readonly EmailOptions email = options.Value;

    // A row that could not be rendered or sent: counted, its error kept, retried after a backoff.
    private const string MarkFailed = """
        UPDATE outbox_emails SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next WHERE id = @id
        """;

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
                while (await DispatchBatchAsync(stoppingToken) >= BatchSize) { }
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

    /// <summary>Renders one batch of due rows, then sends one batch; returns how many rows were claimed in all.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken ct) => await RenderBatchAsync(ct) + await SendBatchAsync(ct);

    /// <summary>Renders (or drops, or defers) one batch of due unrendered rows; returns how many were claimed.</summary>
    public async Task<int> RenderBatchAsync(CancellationToken ct)
    {
        const string claim = """
            SELECT id AS Id, "to" AS To, kind AS Kind, params::text AS Params, user_id AS UserId,
                   text IS NOT NULL AS Prerendered, attempts AS Attempts, hashtext("to" || ' ' || kind) AS LockKey
            FROM outbox_emails
            WHERE rendered_at IS NULL AND sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= @now AND attempts < @maxAttempts
            ORDER BY id LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED
            """;
        const string newerPending = """
            SELECT EXISTS (SELECT 1 FROM outbox_emails
                           WHERE "to" = @to AND kind = @kind AND id > @id AND rendered_at IS NULL AND sent_at IS NULL AND dropped_at IS NULL)
            """;
        const string lastRendered = """SELECT max(rendered_at) FROM outbox_emails WHERE "to" = @to AND kind = @kind AND rendered_at IS NOT NULL AND dropped_at IS NULL""";
        const string drop = "UPDATE outbox_emails SET dropped_at = @now WHERE id = @id";
        const string defer = "UPDATE outbox_emails SET next_attempt_at = @until WHERE id = @id";
        const string markRendered = """
            UPDATE outbox_emails SET subject = COALESCE(@Subject, subject), text = COALESCE(@Text, text), html = COALESCE(@Html, html), rendered_at = @now
            WHERE id = @id
            """;

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var rows = (await conn.QueryAsync<RenderRow>(claim, new { now, maxAttempts = email.MaxAttempts, BatchSize, ct }, tx)).ToList();
        var interval = email.MinIntervalPerAddress;
        bool Throttled(RenderRow row) => interval > TimeSpan.Zero && !row.Prerendered && mails.Find(row.Kind) is { Throttled: true };

        // Every replica takes these locks in ascending order, so two dispatchers cannot deadlock on them.
        foreach (var key in rows.Where(Throttled).Select(r => r.LockKey).Distinct().Order())
            await conn.ExecuteAsync("SELECT pg_advisory_xact_lock(@ThrottleLockClass, @key)", new { ThrottleLockClass, key, ct }, tx);

        foreach (var row in rows)
        {
            var args = new { id = row.Id, to = row.To, kind = row.Kind, now, ct };
            if (Throttled(row))
            {
                // Only the newest pending mail of a kind matters (the fresh link of the latest signup or reset request).
                if (await conn.ExecuteScalarAsync<bool>(newerPending, args, tx))
                {
                    await conn.ExecuteAsync(drop, args, tx);
                    continue;
                }
                var last = await conn.ExecuteScalarAsync<DateTime?>(lastRendered, args, tx);
                if (last is { } l && DbTime.Utc(l) + interval > now)
                {
                    await conn.ExecuteAsync(defer, new { id = row.Id, until = DbTime.Utc(l) + interval, ct }, tx);
                    continue;
                }
            }

            // A span per row rendered (none for an idle poll): the row's id and kind, never its recipient.
            using var span = AuthTracing.Source.StartActivity("outbox.render");
            span?.SetTag("outbox.email.id", row.Id).SetTag("outbox.email.kind", row.Kind);
            // A savepoint per row: a renderer that fails (a bug, a vanished account) backs off that row alone.
            await tx.SaveAsync("render", ct);
            try
            {
                EmailMessage? message = null;
                if (!row.Prerendered)
                {
                    var mail = mails.Find(row.Kind) ?? throw new InvalidOperationException($"No renderer for outbox mail kind '{row.Kind}'.");
                    using var parameters = JsonDocument.Parse(row.Params ?? "null");
                    message = await mail.RenderAsync(new OutboxRenderContext(conn, tx, row.Id, row.To, row.UserId, parameters.RootElement.Clone(), now), ct);
                }
                if (message is null && !row.Prerendered) await conn.ExecuteAsync(drop, args, tx);
                else await conn.ExecuteAsync(markRendered,
                    new { id = row.Id, now, message?.Subject, message?.Text, message?.Html, ct }, tx);
                await tx.ReleaseAsync("render", ct);
            }
            // A lost connection is the database's outage, not the row's fault: the outer loop logs it as such.
            catch (Exception e) when (e is not OperationCanceledException && conn.State == ConnectionState.Open)
            {
                await tx.RollbackAsync("render", ct);
                span.Failed(e);
                logger.LogError(e, "Email {Id} of kind {Kind} could not be rendered", row.Id, row.Kind);
                await conn.ExecuteAsync(MarkFailed,
                    new { id = row.Id, error = Truncate(e.Message), next = now + Backoff(row.Attempts + 1), ct }, tx);
            }
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    /// <summary>Sends one batch of due rendered rows; returns how many were claimed.</summary>
    public async Task<int> SendBatchAsync(CancellationToken ct)
    {
        const string claim = """
            SELECT id AS Id, "to" AS To, subject AS Subject, text AS Text, html AS Html, attempts AS Attempts FROM outbox_emails
            WHERE rendered_at IS NOT NULL AND sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= @now AND attempts < @maxAttempts
            ORDER BY id LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED
            """;
        const string markSent = "UPDATE outbox_emails SET sent_at = @now, attempts = attempts + 1, last_error = NULL WHERE id = @id";

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var rows = (await conn.QueryAsync<Row>(claim, new { now, maxAttempts = email.MaxAttempts, BatchSize, ct }, tx)).ToList();
        foreach (var row in rows)
        {
            using var span = AuthTracing.Source.StartActivity("outbox.send");
            span?.SetTag("outbox.email.id", row.Id).SetTag("outbox.email.attempt", row.Attempts + 1);
            try
            {
                var message = new EmailMessage(row.To, row.Subject, row.Text, row.Html);
                await sendRetry.ExecuteAsync(async token => await transport.SendAsync(message, token), ct);
                await conn.ExecuteAsync(markSent, new { id = row.Id, now = clock.GetUtcNow(), ct }, tx);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var next = clock.GetUtcNow() + Backoff(row.Attempts + 1);
                span.Failed(e);
                metrics.EmailSendFailed(e);
                logger.LogWarning("Email {Id} attempt {Attempt} failed: {Error}", row.Id, row.Attempts + 1, e.Message);
                await conn.ExecuteAsync(MarkFailed, new { id = row.Id, error = Truncate(e.Message), next, ct }, tx);
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

    internal sealed record Row(long Id, string To, string Subject, string Text, string Html, int Attempts);
    internal sealed record RenderRow(long Id, string To, string Kind, string? Params, Guid? UserId, bool Prerendered, int Attempts, int LockKey);
}
