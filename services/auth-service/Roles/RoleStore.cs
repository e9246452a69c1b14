using AuthService.Audit;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Roles;

/// <summary>
/// Grants and revokes one role on <c>users.roles</c>. The row is locked while the set is read and written, so
/// two grants at once cannot both pass the <see cref="RoleNames.MaxPerUser"/> check. Tokens show the change
/// at the user's next refresh or signin (rotate_refresh_token_v3 reads the roles anew).
/// </summary>
internal sealed class RoleStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<RoleChange> GrantAsync(string email, string role, Guid? actorId, RequestOrigin origin, CancellationToken ct) =>
        await ChangeAsync(email, role, grant: true, actorId, origin, ct);

    public async Task<RoleChange> RevokeAsync(string email, string role, Guid? actorId, RequestOrigin origin, CancellationToken ct) =>
        await ChangeAsync(email, role, grant: false, actorId, origin, ct);

    private async Task<RoleChange> ChangeAsync(string email, string role, bool grant, Guid? actorId, RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = "SELECT id AS Id, roles AS Roles FROM users WHERE email = @email FOR NO KEY UPDATE";
        const string update = "UPDATE users SET roles = @roles, updated_at = @now WHERE id = @id";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var row = await conn.QuerySingleOrDefaultAsync<RoleRow>(lockUser, new { email, ct }, tx);
        if (row is null) return RoleChange.UnknownUser;
        var has = row.Roles.Contains(role, StringComparer.Ordinal);
        if (has == grant) return RoleChange.Unchanged;
        if (grant && row.Roles.Length >= RoleNames.MaxPerUser) return RoleChange.TooMany;
        string[] roles = grant ? [.. row.Roles.Append(role).Order(StringComparer.Ordinal)] : [.. row.Roles.Where(r => r != role)];
        await conn.ExecuteAsync(update, new { id = row.Id, roles, now, ct }, tx);
        await AuditLog.WriteAsync(conn, tx, grant ? AuditKinds.RoleGranted : AuditKinds.RoleRevoked, row.Id, actorId, origin, now,
            new RoleDetails(role), ct);
        await tx.CommitAsync(ct);
        return RoleChange.Changed;
    }

    internal sealed record RoleRow(Guid Id, string[] Roles);
}
