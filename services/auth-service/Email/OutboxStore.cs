using System.Text.Json;
using AuthService.Data;
using Dapper;
using Npgsql;

namespace AuthService.Email;

/// <summary>
/// The transactional outbox: an email is a row written in the same transaction as the change that
/// causes it, so none is lost and none is sent for a change that rolled back. Writing a row only
/// inserts, so a request never waits for a dispatcher that is busy sending.
/// </summary>
internal static class OutboxStore
{
    /// <summary>Queues a mail rendered now (kind <c>notice</c>): nothing in it goes stale, it is not throttled.</summary>
    public static Task EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, EmailMessage message, DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at, rendered_at)
            VALUES (@To, @Subject, @Text, @Html, @now, @now, @now)
            """;
        return conn.ExecuteAsync(sql, new { message.To, message.Subject, message.Text, message.Html, now, ct }, tx);
    }

    /// <summary>
    /// Queues a mail of <paramref name="kind"/> that its registered <see cref="IOutboxMail"/> renders at
    /// send time from <paramref name="parameters"/> (serialized to jsonb; never put a secret there).
    /// </summary>
    public static Task EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string to, string kind, Guid? userId, OutboxParameters? parameters,
        DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO outbox_emails ("to", kind, params, user_id, created_at, next_attempt_at)
            VALUES (@to, @kind, @json::jsonb, @userId, @now, @now)
            """;
        return conn.ExecuteAsync(sql, new { to, kind, json = Json(parameters), userId, now, ct }, tx);
    }

    // A method with a declared type: Dapper.AOT's generator cannot see the JSON generator's context, so a variable
    // inferred from it has no type there and the call would be left to run-time Dapper (DapperInterceptionTests).
    private static string? Json(OutboxParameters? parameters) =>
        parameters is null ? null : JsonSerializer.Serialize(parameters, OutboxJsonContext.Default.OutboxParameters);

    /// <summary>
    /// Drops the user's unsent mails of <paramref name="kinds"/> (their links are being voided). A row
    /// being rendered right now is waited for (a short transaction that holds no SMTP connection), so
    /// the token it mints is visible to the caller's next statement and can be voided too; a row
    /// being sent right now is skipped rather than waited for (it is on the wire already).
    /// </summary>
    public static async Task DropPendingAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, string[] kinds, DateTimeOffset now, CancellationToken ct)
    {
        const string unrendered = """
            UPDATE outbox_emails SET dropped_at = @now
            WHERE user_id = @userId AND kind = ANY(@kinds) AND rendered_at IS NULL AND sent_at IS NULL AND dropped_at IS NULL
            """;
        const string renderedUnsent = """
            UPDATE outbox_emails SET dropped_at = @now
            WHERE id IN (SELECT id FROM outbox_emails
                         WHERE user_id = @userId AND kind = ANY(@kinds) AND sent_at IS NULL AND dropped_at IS NULL
                         FOR UPDATE SKIP LOCKED)
            """;
        await conn.ExecuteAsync(unrendered, new { userId, kinds, now, ct }, tx);
        await conn.ExecuteAsync(renderedUnsent, new { userId, kinds, now, ct }, tx);
    }

    /// <summary>
    /// Rendered mails only (a row waiting to be rendered has no text yet), dropped ones never: what did
    /// or will go out, newest first by when it was rendered (a deferred mail is newer than its row id says).
    /// </summary>
    public static async Task<IReadOnlyList<OutboxEmail>> ListForRecipientAsync(NpgsqlDataSource dataSource, string? to, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, "to" AS To, subject AS Subject, text AS Text, html AS Html, created_at AS CreatedAt, sent_at AS SentAt FROM outbox_emails
            WHERE (@to::text IS NULL OR "to" = @to) AND text IS NOT NULL AND dropped_at IS NULL
            ORDER BY COALESCE(rendered_at, created_at) DESC, id DESC LIMIT 100
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<Row>(sql, new { to, ct });
        return rows.Select(r => new OutboxEmail(r.Id, r.To, r.Subject, r.Text, r.Html, DbTime.Utc(r.CreatedAt), r.SentAt is { } s ? DbTime.Utc(s) : null)).ToList();
    }

    internal sealed record Row(long Id, string To, string Subject, string Text, string Html, DateTime CreatedAt, DateTime? SentAt);
}
