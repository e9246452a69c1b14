using AuthService.Audit;
using AuthService.Email;
using AuthService.Sessions;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>Email change: the request (mails queued in its transaction) and the confirmation by the new address's link.</summary>
internal sealed class EmailChangeStore(NpgsqlDataSource dataSource, EmailTemplates templates, TimeProvider clock)
{
    /// <summary>
    /// Runs after the 202 (see <see cref="EmailChangeEndpoints"/>), so whether the address is taken
    /// never shows in the answer or its timing. Taken: its owner gets a notice, nothing else happens.
    /// Free: the confirmation mail (link minted at send time) and a notice to the current address.
    /// </summary>
    public async Task RequestAsync(Guid userId, string currentEmail, string newEmail, RequestOrigin origin, CancellationToken ct)
    {
        const string taken = "SELECT EXISTS (SELECT 1 FROM users WHERE email = @newEmail)";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.ExecuteScalarAsync<bool>(taken, new { newEmail, ct }, tx))
        {
            await OutboxStore.EnqueueAsync(conn, tx, newEmail, EmailChangeOnTakenAddressMail.KindName, null, null, now, ct);
            await AuditLog.WriteAsync(conn, tx, AuditKinds.EmailChangeRequested, userId, origin, now, new EmailChangeRequestedDetails(AddressTaken: true), ct);
        }
        else
        {
            await OutboxStore.EnqueueAsync(conn, tx, newEmail, EmailLinks.EmailChangeKind, userId, new EmailChangeMailParameters(currentEmail), now, ct);
            await OutboxStore.EnqueueAsync(conn, tx, templates.EmailChangeRequested(currentEmail), now, ct);
            await AuditLog.WriteAsync(conn, tx, AuditKinds.EmailChangeRequested, userId, origin, now, new EmailChangeRequestedDetails(AddressTaken: false), ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Consumes the token and moves the account to its address, verified. Null when the token is
    /// unknown, used, expired, or its address was taken meanwhile (the unique constraint decides a
    /// race with a signup; the whole change rolls back then, the token stays unused but can never win).
    /// Every session is revoked: the link carries no session, so there is no "this" one to keep.
    /// </summary>
    public async Task<UserResponse?> ConfirmAsync(string token, RequestOrigin origin, CancellationToken ct)
    {
        const string consume = $"""
            UPDATE email_tokens SET used_at = @now
            WHERE token_hash = @tokenHash AND purpose = '{EmailTokenPurposes.EmailChange}' AND used_at IS NULL AND expires_at > @now
              AND new_email IS NOT NULL
            RETURNING user_id AS UserId, new_email AS NewEmail
            """;
        const string oldEmail = "SELECT email FROM users WHERE id = @UserId FOR NO KEY UPDATE";
        const string move = $"""
            UPDATE users SET email = @NewEmail, email_verified_at = @now, updated_at = @now WHERE id = @UserId
            RETURNING {UserRow.Columns}
            """;
        // The lockout follows the account: the new address starts with at least the old one's count and lock.
        const string carryLockout = """
            INSERT INTO signin_failures AS f (email, window_start, count, locked_until)
            SELECT @NewEmail, window_start, count, locked_until FROM signin_failures WHERE email = @old
            ON CONFLICT (email) DO UPDATE SET
                window_start = GREATEST(f.window_start, EXCLUDED.window_start),
                count        = GREATEST(f.count, EXCLUDED.count),
                locked_until = GREATEST(f.locked_until, EXCLUDED.locked_until)
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var link = await conn.QuerySingleOrDefaultAsync<Link>(consume,
            new { tokenHash = OpaqueToken.Hash(token), now, ct }, tx);
        if (link is null) return null;
        var old = await conn.QuerySingleOrDefaultAsync<string>(oldEmail, new { link.UserId, ct }, tx);
        if (old is null) return null;
        UserRow user;
        try
        {
            user = await conn.QuerySingleAsync<UserRow>(move, new { link.NewEmail, link.UserId, now, ct }, tx);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null; // the address got an account after the link was mailed
        }
        await conn.ExecuteAsync(carryLockout, new { link.NewEmail, old, ct }, tx);
        await SessionStore.RevokeAllForUserAsync(conn, tx, link.UserId, RevocationReasons.EmailChange, exceptSessionId: null, now, ct);
        await EmailLinks.VoidAllAsync(conn, tx, link.UserId, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.EmailChanged(old), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.EmailChanged, link.UserId, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return user.ToResponse();
    }

    /// <summary>The address a live email-change link confirms (reading only, for its page), or null.</summary>
    public async Task<string?> FindNewEmailAsync(string token, CancellationToken ct)
    {
        const string sql = $"""
            SELECT new_email FROM email_tokens
            WHERE token_hash = @tokenHash AND purpose = '{EmailTokenPurposes.EmailChange}' AND used_at IS NULL AND expires_at > @now
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<string>(sql,
            new { tokenHash = OpaqueToken.Hash(token), now = clock.GetUtcNow(), ct });
    }

    internal sealed record Link(Guid UserId, string NewEmail);
}
