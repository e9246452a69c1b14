using System.Text.Json;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Audit;

/// <summary>
/// Appends audit events: who, what, from where. Details never hold secrets (no passwords, no
/// tokens); callers pass only ids and reasons.
/// </summary>
internal static class AuditLog
{
    private const string Insert = """
        INSERT INTO audit_events (user_id, actor_id, kind, ip, user_agent, created_at, details)
        VALUES (@userId, @actorId, @kind, @Ip, @UserAgent, @now, @details::jsonb)
        """;

    /// <summary>Inside the caller's transaction, so the event commits or rolls back with its cause.</summary>
    public static Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, Guid? userId, RequestOrigin origin,
        DateTimeOffset now, AuditDetails? details, CancellationToken ct) =>
        InsertAsync(conn, tx, kind, userId, null, origin, now, details, ct);

    /// <summary>
    /// An event one user (<paramref name="actorId"/>, an admin) caused on another's account (<paramref name="userId"/>),
    /// inside the caller's transaction. A null actor is an operator at the command line.
    /// </summary>
    public static Task WriteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, Guid userId, Guid? actorId,
        RequestOrigin origin, DateTimeOffset now, AuditDetails? details, CancellationToken ct) =>
        InsertAsync(conn, tx, kind, userId, actorId, origin, now, details, ct);

    public static async Task WriteAsync(NpgsqlDataSource dataSource, string kind, Guid? userId, RequestOrigin origin,
        DateTimeOffset now, AuditDetails? details, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await WriteAsync(conn, null, kind, userId, origin, now, details, ct);
    }

    // One statement with a parameter object of one known shape, so the build generates its binding (DapperAot.cs).
    private static Task InsertAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string kind, Guid? userId, Guid? actorId, RequestOrigin origin,
        DateTimeOffset now, AuditDetails? details, CancellationToken ct) =>
        conn.ExecuteAsync(Insert, new { kind, userId, actorId, origin.Ip, origin.UserAgent, now, details = Details(details), ct }, tx);

    private static string? Details(AuditDetails? details) =>
        details is null ? null : JsonSerializer.Serialize(details, AuditJsonContext.Default.AuditDetails);
}
