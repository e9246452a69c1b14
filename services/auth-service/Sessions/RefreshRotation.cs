using AuthService.Accounts;
using AuthService.Audit;
using AuthService.Data;
using AuthService.Options;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Sessions;

public enum RefreshOutcome { Invalid, Rotated, Grace, Reused, Conflict }

public sealed record RefreshResult(RefreshOutcome Outcome, string? NewToken = null, Guid SessionId = default,
    DateTimeOffset SessionExpiresAt = default, UserResponse? User = null);

/// <summary>
/// Rotates a refresh token: one call of <c>rotate_refresh_token_v2</c> (migration 0005), one round
/// trip, one transaction serialized on the session row. The successor is an HMAC of the presented
/// token, so a request retried inside the grace window is answered with the very same successor and
/// every tab converges on one cookie; only the successor's hash is stored. A reuse is revoked,
/// audited and mailed to the owner inside that same transaction.
/// </summary>
public sealed class RefreshRotation(NpgsqlDataSource dataSource, ServerSecrets secrets, IOptions<AuthOptions> options, TimeProvider clock)
{
    private const string LockNotAvailable = "55P03";
    private readonly AuthOptions auth = options.Value;

    public async Task<RefreshResult> RotateAsync(string presented, RequestOrigin origin, CancellationToken ct)
    {
        if (!OpaqueToken.LooksValid(presented)) return new RefreshResult(RefreshOutcome.Invalid);

        const string sql = """
            SELECT outcome, session_id, user_id, session_expires_at, email, email_verified, display_name, user_created_at
            FROM rotate_refresh_token_v2(@tokenHash, @successorHash, @clockOffset, @idle, @grace, @lockTimeout, @Ip, @UserAgent)
            """;
        var successor = OpaqueToken.Successor(presented, secrets.RefreshSuccessorKey);
        var parameters = new
        {
            tokenHash = OpaqueToken.Hash(presented),
            successorHash = OpaqueToken.Hash(successor),
            clockOffset = DbTime.ClockOffset(clock),
            idle = auth.RefreshTokenIdleLifetime,
            grace = auth.RefreshReuseGrace,
            lockTimeout = $"{(int)auth.RefreshLockTimeout.TotalMilliseconds}ms",
            origin.Ip,
            origin.UserAgent,
        };

        Row row;
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            row = await conn.QuerySingleAsync<Row>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        }
        catch (PostgresException e) when (e.SqlState == LockNotAvailable)
        {
            return new RefreshResult(RefreshOutcome.Conflict);
        }

        var outcome = row.outcome switch
        {
            "rotated" => RefreshOutcome.Rotated,
            "grace" => RefreshOutcome.Grace,
            "reused" => RefreshOutcome.Reused,
            _ => RefreshOutcome.Invalid,
        };
        if (outcome is RefreshOutcome.Invalid or RefreshOutcome.Reused || row.user_id is null) return new RefreshResult(outcome);

        var user = new UserRow(row.user_id.Value, row.email!, row.email_verified ?? false, row.display_name, row.user_created_at!.Value).ToResponse();
        return new RefreshResult(outcome, successor, row.session_id!.Value, DbTime.Utc(row.session_expires_at!.Value), user);
    }

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
    private sealed record Row(string outcome, Guid? session_id, Guid? user_id, DateTime? session_expires_at, string? email,
        bool? email_verified, string? display_name, DateTime? user_created_at);
#pragma warning restore IDE1006
}
