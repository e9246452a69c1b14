using System.Globalization;
using AuthService.Audit;
using AuthService.Data;
using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
using AuthService.Telemetry;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>
/// Password checks counted per normalized email in PostgreSQL, so every replica sees the same count,
/// and whether or not the account exists, so a lock reveals nothing. Defaults: 10 attempts within
/// 10 minutes lock that email for 15 minutes.
/// <para>
/// An attempt is counted <em>before</em> the password is checked (<see cref="BeginAttemptAsync"/>), so at
/// most <c>MaxFailures</c> checks per window ever run, however many requests arrive at once, and nothing
/// that fails after the check (a hashing queue answering busy, a database error, a client hanging up)
/// can skip the bookkeeping. An admitted attempt stays spent whatever happens next; only an issued
/// session clears the count (<see cref="SessionStore.CreateAsync"/>, in the statement that creates it),
/// so a right password that gets no session (403 email_not_verified, later a disabled account or a
/// pending second factor) does not clear it either.
/// </para>
/// <para>
/// That includes a 503 from the bounded hashing queue: the attempt is spent although its hash may
/// never have run. Refunding it would need proof that the check did not happen, a second write under
/// the very overload that caused the 503, and would let an attacker who can overload the service
/// keep its budget; spending it bounds checked and busy answers together by MaxFailures per window.
/// </para>
/// </summary>
internal sealed class SigninLockout(NpgsqlDataSource dataSource, IOptions<AuthOptions> options, TimeProvider clock, AuthMetrics metrics)
{
    private readonly LockoutOptions lockout = options.Value.Lockout;

    /// <summary>
    /// Refuses without counting when <paramref name="email"/> is locked; otherwise counts this attempt
    /// (a window older than FailureWindow starts over) and locks the email when the count reaches
    /// MaxFailures; that attempt itself is still admitted.
    /// </summary>
    public async Task<LockoutAttempt> BeginAttemptAsync(string email, CancellationToken ct)
    {
        // One statement: the upsert's row lock serializes parallel attempts for one email across
        // replicas, and the WHERE sees the newest committed row, so once an attempt has set
        // locked_until every later one is refused. A refused upsert returns no row; the second
        // branch then reads locked_until for Retry-After. That read uses the statement's snapshot,
        // which may predate a lock committed while this statement waited: then the lock is brand
        // new and LockoutDuration is the right answer. Windows and locks are measured with the
        // database's clock (the statement's start), so replicas with skewed clocks agree on them.
        const string sql = """
            WITH clock AS (SELECT statement_timestamp() + @clockOffset AS now),
            attempt AS (
                INSERT INTO signin_failures AS f (email, window_start, count, locked_until)
                SELECT @email, now, 1, CASE WHEN 1 >= @MaxFailures THEN now + @duration END FROM clock
                ON CONFLICT (email) DO UPDATE SET
                    window_start = CASE WHEN f.window_start <= EXCLUDED.window_start - @window THEN EXCLUDED.window_start ELSE f.window_start END,
                    count        = CASE WHEN f.window_start <= EXCLUDED.window_start - @window THEN 1 ELSE f.count + 1 END,
                    locked_until = CASE WHEN (CASE WHEN f.window_start <= EXCLUDED.window_start - @window THEN 1 ELSE f.count + 1 END) >= @MaxFailures
                                        THEN EXCLUDED.window_start + @duration END
                WHERE f.locked_until IS NULL OR f.locked_until <= EXCLUDED.window_start
                RETURNING count)
            SELECT count AS Number, NULL::interval AS LockedFor FROM attempt
            UNION ALL
            SELECT NULL, (SELECT f.locked_until - clock.now FROM signin_failures f, clock WHERE f.email = @email)
            WHERE NOT EXISTS (SELECT 1 FROM attempt)
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var (number, lockedFor) = await conn.QuerySingleAsync<AttemptRow>(sql, new
        {
            email,
            clockOffset = DbTime.ClockOffset(clock),
            window = lockout.FailureWindow,
            duration = lockout.LockoutDuration,
            lockout.MaxFailures, ct,
        });
        if (number is { } n)
        {
            if (n >= lockout.MaxFailures) metrics.LockoutStarted(); // this attempt set locked_until
            return new LockoutAttempt(true, n, TimeSpan.Zero);
        }
        // Never more than a whole lock: clocks read by different statements may disagree by a hair.
        return new LockoutAttempt(false, 0, lockedFor is { } left && left > TimeSpan.Zero && left < lockout.LockoutDuration ? left : lockout.LockoutDuration);
    }

    /// <summary>
    /// Audits a password check that failed (<paramref name="kind"/>: signin_failed, password_change_failed).
    /// Not cancellable: the check has happened, so its record must not depend on the client staying connected.
    /// </summary>
    public Task AuditFailedCheckAsync(string kind, string email, Guid? userId, LockoutAttempt attempt, RequestOrigin origin,
        Guid? sessionId = null) =>
        AuditLog.WriteAsync(dataSource, kind, userId, origin, clock.GetUtcNow(),
            new FailedCheckDetails(email, attempt.Number, sessionId),
            CancellationToken.None);

    /// <summary>429 account_locked with Retry-After: the same answer whether or not the account exists.</summary>
    public static ProblemHttpResult Locked(HttpResponse response, LockoutAttempt refused)
    {
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(refused.LockedFor.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.Create(429, ErrorCodes.AccountLocked, "Too many failed signins for this email, try again later");
    }

    internal sealed record AttemptRow(int? Number, TimeSpan? LockedFor);
}
