using AuthService.Accounts;
using AuthService.Audit;
using AuthService.Data;
using AuthService.Email;
using AuthService.Sessions;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Admin;

/// <summary>The admin API's reads and writes of other users' accounts; every write audited with the admin as actor.</summary>
internal sealed class AdminUserStore(NpgsqlDataSource dataSource, TimeProvider clock, AccountDeletion deletion)
{
    private const string UniqueViolation = "23505";

    /// <summary>
    /// A page newest first by (created_at, id), the index users_created_at_id. <paramref name="search"/> matches part
    /// of the email or display name, case-insensitively; its LIKE wildcards are escaped, so <c>%</c> finds a percent sign.
    /// </summary>
    public async Task<AdminUserPage> ListAsync(string? search, int limit, UserCursor? after, CancellationToken ct)
    {
        const string sql = AdminUserRow.Select + """

            WHERE (@afterCreated::timestamptz IS NULL OR (u.created_at, u.id) < (@afterCreated::timestamptz, @afterId::uuid))
              AND (@pattern::text IS NULL OR u.email ILIKE @pattern::text ESCAPE '\' OR u.display_name ILIKE @pattern::text ESCAPE '\')
            ORDER BY u.created_at DESC, u.id DESC
            LIMIT @take
            """;
        var pattern = string.IsNullOrEmpty(search) ? null : "%" + EscapeLike(search) + "%";
        var now = clock.GetUtcNow();
        var rows = (await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QueryAsync<AdminUserRow>(sql, new
            {
                afterCreated = after?.CreatedAt,
                afterId = after?.Id,
                pattern,
                take = limit + 1, // one more tells whether a next page exists
                now,
                token,
            });
        }, ct)).ToList();
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new UserCursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new AdminUserPage([.. page.Select(r => r.ToResponse())], next);
    }

    public async Task<AdminUserResponse?> FindAsync(Guid id, CancellationToken ct)
    {
        const string sql = AdminUserRow.Select + "\nWHERE u.id = @id";
        var row = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QuerySingleOrDefaultAsync<AdminUserRow>(sql, new { id, now = clock.GetUtcNow(), token });
        }, ct);
        return row?.ToResponse();
    }

    /// <summary>
    /// Null when the email is taken (the unique index decides, so two creates at once cannot both win). With
    /// <paramref name="invite"/> an invitation mail is queued in the same transaction.
    /// </summary>
    public async Task<Guid?> CreateAsync(string email, string passwordHash, string? displayName, string[] roles, bool emailVerified,
        bool invite, Guid actorId, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO users (id, email, password_hash, email_verified_at, display_name, created_at, updated_at, roles)
            VALUES (@id, @email, @passwordHash, CASE WHEN @emailVerified THEN @now END, @displayName, @now, @now, @roles)
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            await conn.ExecuteAsync(sql, new { id, email, passwordHash, emailVerified, now, displayName, roles, ct }, tx);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            return null;
        }
        if (invite) await OutboxStore.EnqueueAsync(conn, tx, email, InvitationMail.KindName, id, null, now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserCreated, id, actorId, origin, now, new AdminUserCreatedDetails(roles, emailVerified, invite), ct);
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>
    /// Applies the members that were sent, under the row's lock (two admins patching at once apply one after the
    /// other, each on the other's result); false when the user does not exist.
    /// </summary>
    public async Task<bool> UpdateAsync(Guid id, string? displayName, string[]? roles, bool? emailVerified, Guid actorId,
        RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = "SELECT roles FROM users WHERE id = @id FOR NO KEY UPDATE";
        const string update = """
            UPDATE users SET display_name = COALESCE(@displayName::text, display_name),
                             roles = COALESCE(@roles::text[], roles),
                             email_verified_at = CASE WHEN @emailVerified::boolean IS NULL THEN email_verified_at
                                                      WHEN @emailVerified::boolean THEN COALESCE(email_verified_at, @now) END,
                             updated_at = @now
            WHERE id = @id
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var before = (await conn.QuerySingleOrDefaultAsync<RolesRow>(lockUser, new { id, ct }, tx))?.Roles;
        if (before is null) return false;
        await conn.ExecuteAsync(update, new { id, displayName, roles, emailVerified, now, ct }, tx);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserUpdated, id, actorId, origin, now, new AdminUserUpdatedDetails(
            DisplayName: displayName is not null ? "changed" : null,
            RolesAdded: roles?.Except(before).ToArray(),
            RolesRemoved: roles is null ? null : before.Except(roles).ToArray(),
            EmailVerified: emailVerified), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Disables the account and revokes every session in one transaction; false when it does not exist.</summary>
    public async Task<bool> DisableAsync(Guid id, Guid actorId, RequestOrigin origin, CancellationToken ct)
    {
        // COALESCE: disabling twice (two admins at once) keeps the first instant.
        const string sql = "UPDATE users SET disabled_at = COALESCE(disabled_at, @now), updated_at = @now WHERE id = @id";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.ExecuteAsync(sql, new { id, now, ct }, tx) != 1) return false;
        var sessions = await SessionStore.RevokeAllForUserAsync(conn, tx, id, RevocationReasons.Disabled, null, now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserDisabled, id, actorId, origin, now, new SessionCountDetails(sessions), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> EnableAsync(Guid id, Guid actorId, RequestOrigin origin, CancellationToken ct)
    {
        const string sql = "UPDATE users SET disabled_at = NULL, updated_at = @now WHERE id = @id";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.ExecuteAsync(sql, new { id, now, ct }, tx) != 1) return false;
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserEnabled, id, actorId, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> LogoutEverywhereAsync(Guid id, Guid actorId, RequestOrigin origin, CancellationToken ct)
    {
        const string exists = "SELECT 1 FROM users WHERE id = @id FOR NO KEY UPDATE";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await conn.QuerySingleOrDefaultAsync<int?>(exists, new { id, ct }, tx) is null) return false;
        var sessions = await SessionStore.RevokeAllForUserAsync(conn, tx, id, RevocationReasons.AdminLogout, null, now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminUserLoggedOut, id, actorId, origin, now, new SessionCountDetails(sessions), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The self-service deletion's own (<see cref="AccountDeletion"/>): the same erasure and goodbye mail.</summary>
    public async Task<bool> DeleteAsync(Guid id, Guid actorId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (await deletion.DeleteAsync(conn, tx, id, actorId, now, ct) is null) return false;
        await tx.CommitAsync(ct);
        return true;
    }

    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    internal sealed record RolesRow(string[] Roles);
}
