using AuthService.Audit;
using AuthService.Email;
using AuthService.Options;
using AuthService.Sessions;
using AuthService.Shared;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>Password reset tokens and password changes; each change revokes sessions and mails the owner in one transaction.</summary>
internal sealed class PasswordStore(NpgsqlDataSource dataSource, EmailTemplates templates, IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly AuthOptions auth = options.Value;

    /// <summary>
    /// Queues a reset email when the account exists. Its token is minted when the mail is sent
    /// (<see cref="PasswordResetMail"/>), and from then on only the newest reset token of the account
    /// works: a link already in hand keeps working until the next one is actually mailed.
    /// </summary>
    public async Task RequestResetAsync(string email, RequestOrigin origin, CancellationToken ct)
    {
        const string find = "SELECT id FROM users WHERE email = @email";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var userId = await conn.QuerySingleOrDefaultAsync<Guid?>(find, new { email, ct }, tx);
        if (userId is null) return;
        await OutboxStore.EnqueueAsync(conn, tx, email, EmailLinks.ResetKind, userId, null, now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasswordResetRequested, userId, origin, now, null, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The account a live reset token belongs to (nothing is consumed yet), or null.</summary>
    public async Task<ResetTarget?> FindResetTargetAsync(string token, CancellationToken ct)
    {
        const string sql = $"""
            SELECT u.id AS UserId, u.email AS Email FROM email_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @tokenHash AND t.purpose = '{EmailTokenPurposes.Reset}' AND t.used_at IS NULL AND t.expires_at > @now
              AND NOT EXISTS (SELECT 1 FROM email_tokens n WHERE n.user_id = t.user_id AND n.purpose = '{EmailTokenPurposes.Reset}' AND n.id > t.id)
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<ResetTarget>(sql,
            new { tokenHash = OpaqueToken.Hash(token), now = clock.GetUtcNow(), ct });
    }

    /// <summary>
    /// Consumes the token and sets the password; every session is revoked. False when the token was
    /// used or expired in the meantime (a parallel reset won).
    /// </summary>
    public async Task<bool> ResetAsync(string token, ResetTarget target, string passwordHash, RequestOrigin origin, CancellationToken ct)
    {
        const string consume = $"""
            UPDATE email_tokens t SET used_at = @now
            WHERE token_hash = @tokenHash AND purpose = '{EmailTokenPurposes.Reset}' AND used_at IS NULL AND expires_at > @now
              AND NOT EXISTS (SELECT 1 FROM email_tokens n WHERE n.user_id = t.user_id AND n.purpose = '{EmailTokenPurposes.Reset}' AND n.id > t.id)
            """;
        // Following the emailed link proves the address, so it also counts as verification.
        const string setPassword = """
            UPDATE users SET password_hash = @passwordHash, updated_at = @now,
                             email_verified_at = COALESCE(email_verified_at, @now),
                             -- Nobody confirmed an unverified address's signup, so its name may be a squatter's; a name
                             -- an admin gave (an invitation has no signup) stays.
                             display_name = CASE WHEN email_verified_at IS NULL
                                                  AND EXISTS (SELECT 1 FROM signups s WHERE s.user_id = users.id AND s.voided_at IS NULL)
                                                 THEN NULL ELSE display_name END
            WHERE id = @UserId
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.ExecuteAsync(consume, new { tokenHash = OpaqueToken.Hash(token), now, ct }, tx) != 1)
            return false;
        await conn.ExecuteAsync(setPassword, new { passwordHash, now, target.UserId, ct }, tx);
        await SessionStore.RevokeAllForUserAsync(conn, tx, target.UserId, RevocationReasons.PasswordReset, exceptSessionId: null, now, ct);
        // The password is the account's credential now: other reset links, verify links and pending
        // signups (an unverified address's other credentials) die with the change.
        await EmailLinks.VoidAllAsync(conn, tx, target.UserId, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.PasswordChanged(target.Email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasswordReset, target.UserId, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<string?> FindPasswordHashAsync(Guid userId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<string>(
            "SELECT password_hash FROM users WHERE id = @userId", new { userId, ct });
    }

    /// <summary>
    /// Sets a new password for a signed-in user; the caller's session survives, the others are revoked,
    /// and every open credential-bearing email link (reset, verify, email change) is voided with its unsent mail.
    /// </summary>
    public async Task ChangeAsync(UserResponse user, Guid currentSessionId, string passwordHash, RequestOrigin origin, CancellationToken ct)
    {
        const string setPassword = "UPDATE users SET password_hash = @passwordHash, updated_at = @now WHERE id = @Id";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await conn.ExecuteAsync(setPassword, new { passwordHash, now, user.Id, ct }, tx);
        await SessionStore.RevokeAllForUserAsync(conn, tx, user.Id, RevocationReasons.PasswordChange, currentSessionId, now, ct);
        await EmailLinks.VoidAllAsync(conn, tx, user.Id, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.PasswordChanged(user.Email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasswordChanged, user.Id, origin, now, null, ct);
        await tx.CommitAsync(ct);
    }
}
