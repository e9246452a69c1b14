using AuthService.Audit;
using AuthService.Data;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Passwords;

/// <summary>The password hash of <c>users</c>: read at signin, replaced by a rehash in the same breath.</summary>
internal sealed class CredentialStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    internal async Task<Credentials?> FindCredentialsAsync(string email, CancellationToken ct)
    {
        const string sql = $"""
            SELECT {UserRow.Columns},
                   password_hash AS PasswordHash, disabled_at IS NOT NULL AS Disabled
            FROM users WHERE email = @email
            """;
        var row = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QuerySingleOrDefaultAsync<CredentialsRow>(sql, new { email, token });
        }, ct);
        return row is null ? null : new Credentials(new UserRow(row.Id, row.Email, row.EmailVerified, row.DisplayName, row.CreatedAt, row.Roles, row.Totp, row.Passkeys).ToResponse(), row.PasswordHash, row.Disabled);
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
        if (await conn.ExecuteAsync(sql, new { userId, verifiedHash, newHash, now, ct }, tx) != 1)
            return false;
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasswordRehashed, userId, origin, now,
            new PasswordRehashDetails(Argon2id.Scheme(verifiedHash), Argon2id.Scheme(newHash)), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    internal sealed record CredentialsRow(Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt, string[] Roles,
        bool Totp, int Passkeys, string PasswordHash, bool Disabled)
    {
        // Dapper reports text[] as System.Array, which matches no constructor parameter: it builds the row
        // through this constructor and the init setters instead.
        private CredentialsRow() : this(Guid.Empty, "", false, null, default, [], false, 0, "", false) { }
    }
}
