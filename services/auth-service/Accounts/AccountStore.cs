using AuthService.Audit;
using AuthService.Data;
using AuthService.Email;
using AuthService.Options;
using AuthService.Passwords;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Accounts;

internal sealed record Credentials(UserResponse User, string PasswordHash);

/// <summary>Users and their single-use email tokens; every email is queued in the same transaction as its cause.</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource, EmailTemplates templates, IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly AuthOptions auth = options.Value;

    /// <summary>Creates the user and queues the verification mail; a taken email instead mails its owner.</summary>
    public async Task SignupAsync(string email, string passwordHash, string? displayName, RequestOrigin origin, CancellationToken ct)
    {
        const string insertUser = """
            INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
            VALUES (@id, @email, @passwordHash, @displayName, @now, @now)
            ON CONFLICT (email) DO NOTHING
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var created = await conn.ExecuteAsync(new CommandDefinition(insertUser, new { id, email, passwordHash, displayName, now }, tx, cancellationToken: ct)) == 1;
        var message = created
            ? templates.VerifyEmail(email, await CreateEmailTokenAsync(conn, tx, id, "verify", now + auth.VerifyEmailTokenLifetime, now, ct))
            : templates.SignupAttemptOnExistingAccount(email);
        await OutboxStore.EnqueueAsync(conn, tx, message, now, ct);
        var ownerId = created ? id : await conn.ExecuteScalarAsync<Guid>(new CommandDefinition(
            "SELECT id FROM users WHERE email = @email", new { email }, tx, cancellationToken: ct));
        await AuditLog.WriteAsync(conn, tx, created ? AuditKinds.Signup : AuditKinds.SignupExistingEmail, ownerId, origin, now, null, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Queues a fresh verification mail when the account exists and is not verified yet.</summary>
    public async Task ResendVerificationAsync(string email, CancellationToken ct)
    {
        const string find = "SELECT id FROM users WHERE email = @email AND email_verified_at IS NULL";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var userId = await conn.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(find, new { email }, tx, cancellationToken: ct));
        if (userId is null) return;
        var token = await CreateEmailTokenAsync(conn, tx, userId.Value, "verify", now + auth.VerifyEmailTokenLifetime, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.VerifyEmail(email, token), now, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Consumes a verify token (single use, unexpired) and marks the email verified; null when the token is not good.</summary>
    public async Task<UserResponse?> VerifyEmailAsync(string token, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = """
            WITH used AS (
                UPDATE email_tokens SET used_at = @now
                WHERE token_hash = @tokenHash AND purpose = 'verify' AND used_at IS NULL AND expires_at > @now
                RETURNING user_id),
            verified AS (
                UPDATE users u SET email_verified_at = COALESCE(u.email_verified_at, @now), updated_at = @now
                FROM used WHERE u.id = used.user_id
                RETURNING u.id, u.email, true AS email_verified, u.display_name, u.created_at),
            audit AS (
                INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at)
                SELECT id, 'email_verified', @Ip, @UserAgent, @now FROM verified)
            SELECT * FROM verified
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql,
            new { tokenHash = OpaqueToken.Hash(token), origin.Ip, origin.UserAgent, now = clock.GetUtcNow() }, cancellationToken: ct));
        return row?.ToResponse();
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

    internal static async Task<string> CreateEmailTokenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId, string purpose,
        DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO email_tokens (user_id, purpose, token_hash, created_at, expires_at)
            VALUES (@userId, @purpose, @tokenHash, @now, @expiresAt)
            """;
        var token = OpaqueToken.New();
        await conn.ExecuteAsync(new CommandDefinition(sql, new { userId, purpose, tokenHash = OpaqueToken.Hash(token), now, expiresAt }, tx, cancellationToken: ct));
        return token;
    }

#pragma warning disable IDE1006 // snake_case: Dapper maps by column name
    private sealed record CredentialsRow(Guid id, string email, bool email_verified, string? display_name, DateTime created_at, string password_hash);
#pragma warning restore IDE1006
}
