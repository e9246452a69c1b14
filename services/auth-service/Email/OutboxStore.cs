using AuthService.Data;
using Dapper;
using Npgsql;

namespace AuthService.Email;

public sealed record OutboxEmail(long Id, string To, string Subject, string Text, string Html, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

/// <summary>
/// The transactional outbox: an email is a row written in the same transaction as the change that
/// causes it, so none is lost and none is sent for a change that rolled back.
/// </summary>
public static class OutboxStore
{
    public static Task EnqueueAsync(NpgsqlConnection conn, NpgsqlTransaction tx, EmailMessage message, DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at)
            VALUES (@To, @Subject, @Text, @Html, @now, @now)
            """;
        return conn.ExecuteAsync(new CommandDefinition(sql, new { message.To, message.Subject, message.Text, message.Html, now }, tx, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<OutboxEmail>> ListForRecipientAsync(NpgsqlDataSource dataSource, string? to, CancellationToken ct)
    {
        const string sql = """
            SELECT id, "to", subject, text, html, created_at, sent_at FROM outbox_emails
            WHERE @to::text IS NULL OR "to" = @to
            ORDER BY id DESC LIMIT 100
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<Row>(new CommandDefinition(sql, new { to }, cancellationToken: ct));
        return rows.Select(r => new OutboxEmail(r.id, r.to, r.subject, r.text, r.html, DbTime.Utc(r.created_at), r.sent_at is { } s ? DbTime.Utc(s) : null)).ToList();
    }

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
    private sealed record Row(long id, string to, string subject, string text, string html, DateTime created_at, DateTime? sent_at);
#pragma warning restore IDE1006
}
