using AuthService.Audit;
using AuthService.Email;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

/// <summary>
/// Users, their pending signups and their single-use email tokens; every email is queued in the same
/// transaction as its cause. Lock order: the user row first (<c>FOR NO KEY UPDATE</c>), so signup and
/// verification of one address serialize, while the outbox dispatcher minting a token for that user
/// (a KEY SHARE lock through the foreign key) is never blocked by them nor blocks them.
/// </summary>
internal sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>
    /// Records the signup's credential (a pending <c>signups</c> row) and queues its verification mail.
    /// On an unverified address a newer signup voids the older ones, links included; a verified
    /// account is never touched, its owner is mailed a notice instead.
    /// </summary>
    public async Task SignupAsync(string email, string passwordHash, string? displayName, RequestOrigin origin, CancellationToken ct)
    {
        const string insertUser = """
            INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
            VALUES (@id, @email, @passwordHash, @displayName, @now, @now)
            ON CONFLICT (email) DO NOTHING
            """;
        const string findUser = "SELECT id, email_verified_at IS NOT NULL AS verified FROM users WHERE email = @email FOR NO KEY UPDATE";
        const string voidOlder = "UPDATE signups SET voided_at = @now WHERE user_id = @userId AND voided_at IS NULL";
        const string insertSignup = """
            INSERT INTO signups (user_id, password_hash, display_name, created_at) VALUES (@userId, @passwordHash, @displayName, @now)
            RETURNING id
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var created = await conn.ExecuteAsync(insertUser, new { id, email, passwordHash, displayName, now, ct }, tx) == 1;
        var (userId, verified) = created ? (id, false)
            : await conn.QuerySingleOrDefaultAsync<ExistingUser>(findUser, new { email, ct }, tx) is { } existing ? (existing.Id, existing.Verified) : (Guid.Empty, false);
        if (userId == Guid.Empty) return; // deleted in between: nothing to tell anyone
        if (verified)
        {
            await OutboxStore.EnqueueAsync(conn, tx, email, SignupOnTakenAddressMail.KindName, userId, null, now, ct);
        }
        else
        {
            if (!created) await conn.ExecuteAsync(voidOlder, new { userId, now, ct }, tx);
            var signupId = await conn.ExecuteScalarAsync<long>(insertSignup, new { userId, passwordHash, displayName, now, ct }, tx);
            await OutboxStore.EnqueueAsync(conn, tx, email, EmailLinks.VerifyKind, userId, new VerificationMailParameters(signupId), now, ct);
        }
        await AuditLog.WriteAsync(conn, tx, created ? AuditKinds.Signup : AuditKinds.SignupExistingEmail, userId, origin, now, null, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Queues a fresh verification mail for the newest signup when the account exists and is not verified yet.</summary>
    public async Task ResendVerificationAsync(string email, CancellationToken ct)
    {
        const string find = """
            SELECT u.id AS UserId, s.id AS SignupId FROM users u JOIN signups s ON s.user_id = u.id
            WHERE u.email = @email AND u.email_verified_at IS NULL AND s.voided_at IS NULL
            ORDER BY s.id DESC LIMIT 1
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var p = await conn.QuerySingleOrDefaultAsync<PendingSignup>(find, new { email, ct }, tx);
        if (p is null) return;
        await OutboxStore.EnqueueAsync(conn, tx, email, EmailLinks.VerifyKind, p.UserId, new VerificationMailParameters(p.SignupId), now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The live verify link of <paramref name="token"/> (nothing is consumed), or null.</summary>
    public async Task<VerifyLink?> FindVerifyLinkAsync(string token, CancellationToken ct)
    {
        const string sql = $"""
            SELECT t.id AS TokenId, t.user_id AS UserId, u.email AS Email, s.id AS SignupId, s.password_hash AS PasswordHash,
                   (SELECT count(*) FROM signups a WHERE a.user_id = t.user_id) > 1 AS NeedsPassword
            FROM email_tokens t JOIN signups s ON s.id = t.signup_id JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = @tokenHash AND t.purpose = '{EmailTokenPurposes.Verify}' AND t.used_at IS NULL AND t.expires_at > @now AND s.voided_at IS NULL
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<VerifyLink>(sql,
            new { tokenHash = OpaqueToken.Hash(token), now = clock.GetUtcNow(), ct });
    }

    /// <summary>
    /// Consumes the link (single use, unexpired, its signup not superseded) and activates its signup's
    /// credential: the user's password hash and display name become the signup's and the email is
    /// verified; every other signup of the address is voided. Only an unverified account is ever
    /// changed. <paramref name="passwordProven"/>: the caller checked the signup's password, which
    /// is required once the address saw more than one signup (re-checked here under the user's lock).
    /// </summary>
    public async Task<(VerifyOutcome Outcome, UserResponse? User)> VerifyEmailAsync(VerifyLink link, bool passwordProven, RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = """
            SELECT (SELECT count(*) FROM signups WHERE user_id = u.id) FROM users u
            WHERE u.id = @UserId AND u.email_verified_at IS NULL FOR NO KEY UPDATE
            """;
        const string consume = """
            UPDATE email_tokens t SET used_at = @now FROM signups s
            WHERE t.id = @TokenId AND t.used_at IS NULL AND t.expires_at > @now AND s.id = t.signup_id AND s.id = @SignupId AND s.voided_at IS NULL
            RETURNING s.password_hash AS PasswordHash, s.display_name AS DisplayName
            """;
        const string activate = $"""
            UPDATE users SET password_hash = @PasswordHash, display_name = @DisplayName, email_verified_at = @now, updated_at = @now
            WHERE id = @UserId AND email_verified_at IS NULL
            RETURNING {UserRow.Columns}
            """;
        const string voidSignups = "UPDATE signups SET voided_at = @now WHERE user_id = @UserId AND voided_at IS NULL";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var signups = await conn.QuerySingleOrDefaultAsync<long?>(lockUser, new { link.UserId, ct }, tx);
        if (signups is null) return (VerifyOutcome.InvalidToken, null); // verified already (or gone): a link never changes a verified account
        if (signups > 1 && !passwordProven) return (VerifyOutcome.PasswordRequired, null);
        var c = await conn.QuerySingleOrDefaultAsync<SignupCredential>(consume,
            new { link.TokenId, link.SignupId, now, ct }, tx);
        if (c is null) return (VerifyOutcome.InvalidToken, null);
        var user = await conn.QuerySingleAsync<UserRow>(activate,
            new { c.PasswordHash, c.DisplayName, link.UserId, now, ct }, tx);
        await conn.ExecuteAsync(voidSignups, new { link.UserId, now, ct }, tx);
        await OutboxStore.DropPendingAsync(conn, tx, link.UserId, [EmailLinks.VerifyKind], now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.EmailVerified, link.UserId, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return (VerifyOutcome.Verified, user.ToResponse());
    }

    public async Task<UserResponse?> UpdateDisplayNameAsync(Guid userId, string? displayName, CancellationToken ct)
    {
        const string sql = $"""
            UPDATE users SET display_name = @displayName, updated_at = @now WHERE id = @userId
            RETURNING {UserRow.Columns}
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<UserRow>(sql, new { userId, displayName, now = clock.GetUtcNow(), ct });
        return row?.ToResponse();
    }

    /// <summary>Mints an email token (only its SHA-256 is stored); called by the outbox renderers when the mail is sent.</summary>
    internal static async Task<string> CreateEmailTokenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, string purpose,
        DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken ct, long? signupId = null)
    {
        const string sql = """
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at, signup_id)
            VALUES (@userId, @purpose, @tokenHash, @now, @expiresAt, @signupId)
            """;
        var token = OpaqueToken.New();
        await conn.ExecuteAsync(sql, new { userId, purpose, tokenHash = OpaqueToken.Hash(token), now, expiresAt, signupId, ct }, tx);
        return token;
    }

    internal sealed record ExistingUser(Guid Id, bool Verified);
    internal sealed record PendingSignup(Guid UserId, long SignupId);
    internal sealed record SignupCredential(string PasswordHash, string? DisplayName);
}
