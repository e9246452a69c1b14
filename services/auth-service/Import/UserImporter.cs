using AuthService.Audit;
using AuthService.Passwords;
using AuthService.Shared;
using Dapper;
using Npgsql;

namespace AuthService.Import;

/// <summary>
/// Imports users a batch at a time. A batch is one statement in one transaction: every valid user is inserted
/// with <c>ON CONFLICT (email) DO NOTHING</c> (so a re-run, a concurrent import or a concurrent signup of the same
/// address leaves the existing account alone and the row is skipped as <c>exists</c>), together with its pending
/// signup when its email is unverified and its <c>user_imported</c> audit event (no hash in it). A user is thus
/// imported whole or not at all. Rows are inserted in email order, so two imports of overlapping batches take
/// the unique index's locks in the same order and never deadlock.
/// </summary>
internal sealed class UserImporter(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const int MaxBatch = 1_000;

    private const string Sql = $"""
        WITH input AS (
            SELECT * FROM unnest(@ids, @emails, @hashes, @verified, @names, @roles, @createdAts, @formats)
                AS t(id, email, password_hash, verified, display_name, roles, created_at, format)
        ), inserted AS (
            INSERT INTO users (id, email, password_hash, email_verified_at, display_name, roles, created_at, updated_at)
            SELECT id, email, password_hash, CASE WHEN verified THEN @now END, display_name,
                   CASE WHEN roles = '' THEN ARRAY[]::text[] ELSE string_to_array(roles, ',') END, created_at, @now
            FROM input ORDER BY email
            ON CONFLICT (email) DO NOTHING
            RETURNING id, email
        ), signups AS (
            -- An unverified user gets the pending signup verification activates (as 0004 gave existing ones).
            INSERT INTO signups (user_id, password_hash, display_name, created_at)
            SELECT i.id, i.password_hash, i.display_name, @now FROM input i JOIN inserted USING (id) WHERE NOT i.verified
        ), audited AS (
            INSERT INTO audit_events (user_id, kind, ip, user_agent, created_at, details, actor_id)
            SELECT i.id, '{AuditKinds.UserImported}', @ip, @userAgent, @now,
                   jsonb_build_object('source', @source, 'passwordFormat', i.format, 'emailVerified', i.verified), @actorId
            FROM input i JOIN inserted USING (id)
        )
        SELECT email FROM inserted
        """;

    /// <summary>
    /// Imports up to <see cref="MaxBatch"/> users. <paramref name="source"/> (<c>cli</c>, <c>api</c>) and
    /// <paramref name="actorId"/> (the admin who called) go into each audit event.
    /// </summary>
    public async Task<ImportResult> ImportAsync(IReadOnlyList<ImportUser> rows, string source, Guid? actorId, RequestOrigin origin, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows.Count, MaxBatch);
        var now = clock.GetUtcNow();
        var skipped = new List<(int, ImportSkipped)>();
        var valid = new List<(int Index, ValidImportUser User)>(rows.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var user = ImportValidation.Validate(rows[i], now, out var reason);
            if (user is null) skipped.Add((i, new ImportSkipped(rows[i].Email, reason!)));
            else if (!seen.Add(user.Email)) skipped.Add((i, new ImportSkipped(rows[i].Email, ImportSkipReasons.DuplicateEmail)));
            else valid.Add((i, user));
        }
        if (valid.Count == 0) return new ImportResult(0, skipped);

        var users = valid.Select(v => v.User).ToArray();
        var parameters = new
        {
            ids = users.Select(u => Guid.CreateVersion7(u.CreatedAt)).ToArray(),
            emails = users.Select(u => u.Email).ToArray(),
            hashes = users.Select(u => u.PasswordHash).ToArray(),
            verified = users.Select(u => u.EmailVerified).ToArray(),
            names = users.Select(u => u.DisplayName).ToArray(),
            roles = users.Select(u => string.Join(',', u.Roles)).ToArray(),
            createdAts = users.Select(u => u.CreatedAt.UtcDateTime).ToArray(),
            formats = users.Select(u => u.PasswordHash == StoredPasswordHash.Unusable ? "none" : StoredPasswordHash.Scheme(u.PasswordHash)).ToArray(),
            now,
            source,
            actorId,
            ip = origin.Ip,
            userAgent = origin.UserAgent,
            ct,
        };
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var inserted = (await conn.QueryAsync<string>(Sql, parameters, tx)).ToHashSet(StringComparer.Ordinal);
        await tx.CommitAsync(ct);

        foreach (var (index, user) in valid)
            if (!inserted.Contains(user.Email)) skipped.Add((index, new ImportSkipped(rows[index].Email, ImportSkipReasons.Exists)));
        skipped.Sort((a, b) => ((int)a.Item1).CompareTo(b.Item1));
        return new ImportResult(inserted.Count, skipped);
    }
}
