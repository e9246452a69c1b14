using System.Text.Json;
using AuthService.Data;
using AuthService.Http;
using AuthService.Sessions;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>Gathers the caller's data for <see cref="AccountExport"/>: the profile, live sessions and the audit trail.</summary>
internal sealed class AccountExportStore(NpgsqlDataSource dataSource, SessionStore sessions, TimeProvider clock)
{
    /// <summary>The newest events only, so one export stays a bounded answer however long the account has lived.</summary>
    public const int MaxAuditEvents = 10_000;

    public async Task<AccountExport> ExportAsync(AuthenticatedUser caller, CancellationToken ct)
    {
        const string events = """
            SELECT kind, created_at, ip, user_agent, details::text FROM audit_events
            WHERE user_id = @userId ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        var rows = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QueryAsync<AuditEventRow>(
                events, new { userId = caller.User.Id, limit = MaxAuditEvents, token });
        }, ct);
        var audit = rows.Select(r => new ExportedAuditEvent(r.Kind, DbTime.Utc(r.CreatedAt), r.Ip, r.UserAgent,
            r.Details is null ? null : JsonSerializer.Deserialize(r.Details, AuthJsonContext.Default.JsonElement))).ToList();
        var live = await sessions.ListLiveAsync(caller.User.Id, caller.SessionId, ct);
        // The factors as the user row counts them (users.totp_enabled, users.passkey_count): no secrets, no key material.
        return new AccountExport(caller.User, caller.User.Roles, live, caller.User.Mfa, audit, clock.GetUtcNow());
    }

    internal sealed record AuditEventRow(string Kind, DateTime CreatedAt, string? Ip, string? UserAgent, string? Details);
}
