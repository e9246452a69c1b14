using Npgsql;

namespace AuthService.Data;

/// <summary>
/// Deletes what no request can use any more: expired or used email tokens, voided signups,
/// sessions dead for longer than <see cref="Retention"/> (their refresh tokens go with them),
/// delivered or dropped mail, old lockout rows, expired MFA tokens and WebAuthn challenges, and signing keys that
/// left the JWKS. In batches, so a
/// large backlog never holds long locks.
/// </summary>
public sealed class CleanupService(NpgsqlDataSource dataSource, StartupGate gate, TimeProvider clock, ILogger<CleanupService> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);
    public const int BatchSize = 1000;

    private static readonly string[] Statements =
    [
        """
        DELETE FROM email_tokens WHERE id IN (
            SELECT id FROM email_tokens WHERE expires_at < @cutoff OR used_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM sessions WHERE id IN (
            SELECT id FROM sessions
            WHERE revoked_at < @cutoff OR expires_at < @cutoff OR idle_expires_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM outbox_emails WHERE id IN (
            SELECT id FROM outbox_emails WHERE sent_at < @cutoff OR dropped_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM signups WHERE id IN (
            SELECT id FROM signups WHERE voided_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM signing_keys WHERE kid IN (
            SELECT kid FROM signing_keys WHERE expires_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM mfa_challenges WHERE token_hash IN (
            SELECT token_hash FROM mfa_challenges WHERE expires_at < @cutoff OR used_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM webauthn_challenges WHERE id IN (
            SELECT id FROM webauthn_challenges WHERE expires_at < @cutoff LIMIT @BatchSize)
        """,
        """
        DELETE FROM signin_failures WHERE email IN (
            SELECT email FROM signin_failures
            WHERE window_start < @cutoff AND (locked_until IS NULL OR locked_until < @now) LIMIT @BatchSize)
        """,
    ];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!await gate.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken)) { }
            using var timer = new PeriodicTimer(Interval, clock);
            do
            {
                try
                {
                    var deleted = await RunOnceAsync(stoppingToken);
                    if (deleted > 0) logger.LogInformation("Cleanup removed {Count} expired rows", deleted);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning("Cleanup skipped, database unavailable: {Message}", e.Message);
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Runs every statement in batches until nothing is left; returns the rows deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var cutoff = now - Retention;
        var total = 0;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        foreach (var sql in Statements)
        {
            int deleted;
            do
            {
                deleted = await DeleteBatchAsync(conn, sql, cutoff, now, ct);
                total += deleted;
            } while (deleted == BatchSize);
        }
        return total;
    }

    // The statement is one of several, so the SQL is known only at run time; for such SQL with parameters the generated
    // Dapper code (DapperAot.cs) cannot carry the cancellation token, so each batch goes through Npgsql itself.
    private static async Task<int> DeleteBatchAsync(NpgsqlConnection conn, string sql, DateTimeOffset cutoff, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("cutoff", cutoff);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("BatchSize", BatchSize);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
