using System.Globalization;
using AuthService.Audit;
using AuthService.Data;
using AuthService.Http;
using AuthService.Options;
using AuthService.Shared;
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
internal sealed class SigninLockout(NpgsqlDataSource dataSource, IOptions<AuthOptions> options, TimeProvider clock)
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
        // new and LockoutDuration is the right answer.
        const string sql = """
            WITH attempt AS (
                INSERT INTO signin_failures AS f (email, window_start, count, locked_until)
                VALUES (@email, @now, 1, CASE WHEN 1 >= @MaxFailures THEN @lockedUntil END)
                ON CONFLICT (email) DO UPDATE SET
                    window_start = CASE WHEN f.window_start <= @windowStart THEN @now ELSE f.window_start END,
                    count        = CASE WHEN f.window_start <= @windowStart THEN 1 ELSE f.count + 1 END,
                    locked_until = CASE WHEN (CASE WHEN f.window_start <= @windowStart THEN 1 ELSE f.count + 1 END) >= @MaxFailures
                                        THEN @lockedUntil END
                WHERE f.locked_until IS NULL OR f.locked_until <= @now
                RETURNING count)
            SELECT count AS number, NULL::timestamptz AS locked_until FROM attempt
            UNION ALL
            SELECT NULL, (SELECT locked_until FROM signin_failures WHERE email = @email)
            WHERE NOT EXISTS (SELECT 1 FROM attempt)
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var (number, lockedUntil) = await conn.QuerySingleAsync<(int?, DateTime?)>(new CommandDefinition(sql, new
        {
            email, now,
            windowStart = now - lockout.FailureWindow,
            lockedUntil = now + lockout.LockoutDuration,
            lockout.MaxFailures,
        }, cancellationToken: ct));
        if (number is { } n) return new LockoutAttempt(true, n, TimeSpan.Zero);
        var lockedFor = lockedUntil is { } u && DbTime.Utc(u) > now ? DbTime.Utc(u) - now : lockout.LockoutDuration;
        return new LockoutAttempt(false, 0, lockedFor);
    }

    /// <summary>
    /// Audits a password check that failed (<paramref name="kind"/>: signin_failed, password_change_failed).
    /// Not cancellable: the check has happened, so its record must not depend on the client staying connected.
    /// </summary>
    public Task AuditFailedCheckAsync(string kind, string email, Guid? userId, LockoutAttempt attempt, RequestOrigin origin,
        Guid? sessionId = null) =>
        AuditLog.WriteAsync(dataSource, kind, userId, origin, clock.GetUtcNow(),
            sessionId is null
                ? (object)new { email, failures = attempt.Number }
                : new { email, failures = attempt.Number, sessionId },
            CancellationToken.None);

    /// <summary>429 account_locked with Retry-After: the same answer whether or not the account exists.</summary>
    public static ProblemHttpResult Locked(HttpResponse response, LockoutAttempt refused)
    {
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(refused.LockedFor.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.Create(429, ErrorCodes.AccountLocked, "Too many failed signins for this email, try again later");
    }
}
