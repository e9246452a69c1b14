using AuthService.Audit;
using AuthService.Data;
using AuthService.Email;
using AuthService.Passwords;
using AuthService.Tokens;
using Dapper;
using Npgsql;

namespace AuthService.Accounts;

internal sealed record Credentials(UserResponse User, string PasswordHash);

/// <summary>
/// A live verify link: its token row, and the credential of the signup it belongs to. When the address
/// saw more than one signup, following the link needs that signup's password too.
/// </summary>
public sealed record VerifyLink(long TokenId, Guid UserId, long SignupId, string PasswordHash, bool NeedsPassword);

public enum VerifyOutcome { Verified, InvalidToken, PasswordRequired }

/// <summary>
/// Users, their pending signups and their single-use email tokens; every email is queued in the same
/// transaction as its cause. Lock order: the user row first (<c>FOR NO KEY UPDATE</c>), so signup and
/// verification of one address serialize, while the outbox dispatcher minting a token for that user
/// (a KEY SHARE lock through the foreign key) is never blocked by them nor blocks them.
/// </summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, TimeProvider clock)
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
        var created = await conn.ExecuteAsync(new CommandDefinition(insertUser, new { id, email, passwordHash, displayName, now }, tx, cancellationToken: ct)) == 1;
        var (userId, verified) = created ? (id, false)
            : await conn.QuerySingleOrDefaultAsync<(Guid, bool)>(new CommandDefinition(findUser, new { email }, tx, cancellationToken: ct));
        if (userId == Guid.Empty) return; // deleted in between: nothing to tell anyone
        if (verified)
        {
            await OutboxStore.EnqueueAsync(conn, tx, email, SignupOnTakenAddressMail.KindName, userId, null, now, ct);
        }
        else
        {
            if (!created) await conn.ExecuteAsync(new CommandDefinition(voidOlder, new { userId, now }, tx, cancellationToken: ct));
            var signupId = await conn.ExecuteScalarAsync<long>(new CommandDefinition(insertSignup, new { userId, passwordHash, displayName, now }, tx, cancellationToken: ct));
            await OutboxStore.EnqueueAsync(conn, tx, email, EmailLinks.VerifyKind, userId, new { signupId }, now, ct);
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
        var p = await conn.QuerySingleOrDefaultAsync<PendingSignup>(new CommandDefinition(find, new { email }, tx, cancellationToken: ct));
        if (p is null) return;
        await OutboxStore.EnqueueAsync(conn, tx, email, EmailLinks.VerifyKind, p.UserId, new { signupId = p.SignupId }, now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The live verify link of <paramref name="token"/> (nothing is consumed), or null.</summary>
    public async Task<VerifyLink?> FindVerifyLinkAsync(string token, CancellationToken ct)
    {
        const string sql = """
            SELECT t.id AS TokenId, t.user_id AS UserId, s.id AS SignupId, s.password_hash AS PasswordHash,
                   (SELECT count(*) FROM signups a WHERE a.user_id = t.user_id) > 1 AS NeedsPassword
            FROM email_tokens t JOIN signups s ON s.id = t.signup_id
            WHERE t.token_hash = @tokenHash AND t.purpose = 'verify' AND t.used_at IS NULL AND t.expires_at > @now AND s.voided_at IS NULL
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<VerifyLink>(new CommandDefinition(sql,
            new { tokenHash = OpaqueToken.Hash(token), now = clock.GetUtcNow() }, cancellationToken: ct));
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
            RETURNING s.password_hash, s.display_name
            """;
        const string activate = """
            UPDATE users SET password_hash = @password_hash, display_name = @display_name, email_verified_at = @now, updated_at = @now
            WHERE id = @UserId AND email_verified_at IS NULL
            RETURNING id, email, true AS email_verified, display_name, created_at
            """;
        const string voidSignups = "UPDATE signups SET voided_at = @now WHERE user_id = @UserId AND voided_at IS NULL";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var signups = await conn.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(lockUser, new { link.UserId }, tx, cancellationToken: ct));
        if (signups is null) return (VerifyOutcome.InvalidToken, null); // verified already (or gone): a link never changes a verified account
        if (signups > 1 && !passwordProven) return (VerifyOutcome.PasswordRequired, null);
        var c = await conn.QuerySingleOrDefaultAsync<SignupCredential>(new CommandDefinition(consume,
            new { link.TokenId, link.SignupId, now }, tx, cancellationToken: ct));
        if (c is null) return (VerifyOutcome.InvalidToken, null);
        var user = await conn.QuerySingleAsync<UserRow>(new CommandDefinition(activate,
            new { c.password_hash, c.display_name, link.UserId, now }, tx, cancellationToken: ct));
        await conn.ExecuteAsync(new CommandDefinition(voidSignups, new { link.UserId, now }, tx, cancellationToken: ct));
        await OutboxStore.DropPendingAsync(conn, tx, link.UserId, [EmailLinks.VerifyKind], now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.EmailVerified, link.UserId, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return (VerifyOutcome.Verified, user.ToResponse());
    }

    internal async Task<Credentials?> FindCredentialsAsync(string email, CancellationToken ct)
    {
        const string sql = """
            SELECT id, email, email_verified_at IS NOT NULL AS email_verified, display_name, created_at, password_hash
            FROM users WHERE email = @email
            """;
        var row = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QuerySingleOrDefaultAsync<CredentialsRow>(new CommandDefinition(sql, new { email }, cancellationToken: token));
        }, ct);
        return row is null ? null : new Credentials(new UserRow(row.id, row.email, row.email_verified, row.display_name, row.created_at).ToResponse(), row.password_hash);
    }

    /// <summary>
    /// Replaces the hash a signin just verified (bcrypt, or Argon2id with old parameters) with a new
    /// Argon2id hash of the same password, and audits it in the same transaction. Only while the stored
    /// hash is still the verified one: a password changed or reset meanwhile is never overwritten with a
    /// hash of the old password. False when nothing was replaced.
    /// </summary>
    public async Task<bool> UpdatePasswordHashAsync(Guid userId, string verifiedHash, string newHash, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = """
            UPDATE users SET password_hash = @newHash, updated_at = @now
            WHERE id = @userId AND password_hash = @verifiedHash
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.ExecuteAsync(new CommandDefinition(sql, new { userId, verifiedHash, newHash, now }, tx, cancellationToken: ct)) != 1)
            return false;
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasswordRehashed, userId, origin, now,
            new { from = Argon2id.Scheme(verifiedHash), to = Argon2id.Scheme(newHash) }, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<UserResponse?> UpdateDisplayNameAsync(Guid userId, string? displayName, CancellationToken ct)
    {
        const string sql = """
            UPDATE users SET display_name = @displayName, updated_at = @now WHERE id = @userId
            RETURNING id, email, email_verified_at IS NOT NULL AS email_verified, display_name, created_at
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, new { userId, displayName, now = clock.GetUtcNow() }, cancellationToken: ct));
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
        await conn.ExecuteAsync(new CommandDefinition(sql, new { userId, purpose, tokenHash = OpaqueToken.Hash(token), now, expiresAt, signupId }, tx, cancellationToken: ct));
        return token;
    }

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
    private sealed record PendingSignup(Guid UserId, long SignupId);
    private sealed record SignupCredential(string password_hash, string? display_name);
    private sealed record CredentialsRow(Guid id, string email, bool email_verified, string? display_name, DateTime created_at, string password_hash);
#pragma warning restore IDE1006
}
