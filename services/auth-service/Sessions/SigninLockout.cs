using AuthService.Audit;
using AuthService.Data;
using AuthService.Options;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>
/// Failed signins counted per normalized email in PostgreSQL, so every replica sees the same count,
/// and whether or not the account exists, so a lock reveals nothing. Defaults: 10 failures within
/// 10 minutes lock that email for 15 minutes.
/// </summary>
public sealed class SigninLockout(NpgsqlDataSource dataSource, IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly LockoutOptions lockout = options.Value.Lockout;

    /// <summary>How long <paramref name="email"/> stays locked (null when it is not), and whether failures are on record.</summary>
    public async Task<(TimeSpan? LockedFor, bool HasFailures)> StateAsync(string email, CancellationToken ct)
    {
        const string sql = "SELECT locked_until FROM signin_failures WHERE email = @email";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = (await conn.QueryAsync<DateTime?>(new CommandDefinition(sql, new { email }, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return (null, false);
        var until = rows[0] is { } u ? DbTime.Utc(u) : (DateTimeOffset?)null;
        return (until > now ? until - now : null, true);
    }

    /// <summary>Counts one failure (atomically, so parallel failures are all counted) and records it in the audit trail.</summary>
    public async Task RecordFailureAsync(string email, Guid? userId, RequestOrigin origin, CancellationToken ct)
    {
        // One statement: a window older than FailureWindow starts over, reaching MaxFailures sets
        // locked_until, and the audit row is written from the same count.
        const string sql = """
            WITH counted AS (
                INSERT INTO signin_failures AS f (email, window_start, count, locked_until)
                VALUES (@email, @now, 1, CASE WHEN 1 >= @MaxFailures THEN @lockedUntil END)
                ON CONFLICT (email) DO UPDATE SET
                    window_start = CASE WHEN f.window_start <= @windowStart THEN @now ELSE f.window_start END,
                    count        = CASE WHEN f.window_start <= @windowStart THEN 1 ELSE f.count + 1 END,
                    locked_until = CASE WHEN f.window_start > @windowStart AND f.count + 1 >= @MaxFailures
                                        THEN @lockedUntil ELSE f.locked_until END
                RETURNING count)
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details)
            SELECT @userId, 'signin_failed', @Ip, @UserAgent, @now, jsonb_build_object('email', @email::text, 'failures', count) FROM counted
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition(sql, new
        {
            email, userId, origin.Ip, origin.UserAgent, now,
            windowStart = now - lockout.FailureWindow,
            lockedUntil = now + lockout.LockoutDuration,
            lockout.MaxFailures,
        }, cancellationToken: ct));
    }

    public async Task ResetAsync(string email, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(new CommandDefinition("DELETE FROM signin_failures WHERE email = @email", new { email }, cancellationToken: ct));
    }
}
