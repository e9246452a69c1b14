using AuthService.Audit;
using AuthService.Email;
using AuthService.Shared;
using AuthService.Tokens;
using Dapper;
using Npgsql;

namespace AuthService.Mfa;

/// <summary>
/// TOTP secrets and recovery codes. Every change of them sets <c>users.totp_enabled</c> (and the admin reset
/// <c>passkey_count</c>) in the same transaction, so the user object's <c>mfa</c> never disagrees with the tables.
/// </summary>
internal sealed class MfaStore(NpgsqlDataSource dataSource, ServerSecrets secrets, EmailTemplates templates, TimeProvider clock)
{
    public static string AssociatedData(string userId) => "totp:" + userId;

    /// <summary>
    /// Stores a new pending secret (replacing a pending one) and returns it; null when TOTP is already on. Sealed
    /// under the key-encryption key, bound to the user's id.
    /// </summary>
    public async Task<byte[]?> BeginSetupAsync(Guid userId, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO totp_secrets AS t (user_id, sealed_secret, kek_id, created_at)
            VALUES (@userId, @Box, @KekId, @now)
            ON CONFLICT (user_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, kek_id = EXCLUDED.kek_id,
                created_at = EXCLUDED.created_at, last_used_step = 0
            WHERE t.confirmed_at IS NULL
            """;
        var secret = TotpCodes.NewSecret();
        var sealedSecret = secrets.Seal(secret, AssociatedData(userId.ToString()));
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var stored = await conn.ExecuteAsync(sql,
            new { userId, sealedSecret.Box, sealedSecret.KekId, now = clock.GetUtcNow(), ct });
        return stored == 1 ? secret : null;
    }

    /// <summary>
    /// Turns TOTP on with the pending secret when <paramref name="code"/> is right for it: the step is used up, the
    /// flag set, ten recovery codes stored, the owner mailed and the event audited in one transaction.
    /// </summary>
    public async Task<(TotpConfirmOutcome Outcome, string[] RecoveryCodes)> ConfirmAsync(UserResponse user, string code,
        RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = "SELECT 1 FROM users WHERE id = @Id FOR NO KEY UPDATE";
        const string pending = "SELECT sealed_secret AS Box, kek_id AS KekId, confirmed_at IS NOT NULL AS Confirmed FROM totp_secrets WHERE user_id = @id FOR UPDATE";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // The user row first, as the admin reset and turning TOTP off take them: the other order deadlocks with a reset.
        await conn.ExecuteAsync(lockUser, new { user.Id, ct }, tx);
        var row = await conn.QuerySingleOrDefaultAsync<SecretRow>(pending, new { user.Id, ct }, tx);
        if (row is null) return (TotpConfirmOutcome.NotPending, []);
        if (row.Confirmed) return (TotpConfirmOutcome.AlreadyEnabled, []);
        if (!await AcceptTotpAsync(conn, tx, user.Id, row, code, now, ct)) return (TotpConfirmOutcome.WrongCode, []);

        await conn.ExecuteAsync("UPDATE totp_secrets SET confirmed_at = @now WHERE user_id = @Id",
            new { now, user.Id, ct }, tx);
        await conn.ExecuteAsync("UPDATE users SET totp_enabled = true, updated_at = @now WHERE id = @Id",
            new { now, user.Id, ct }, tx);
        var codes = await ReplaceRecoveryCodesAsync(conn, tx, user.Id, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.TotpEnabled(user.Email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.TotpEnabled, user.Id, origin, now, null, ct);
        await tx.CommitAsync(ct);
        return (TotpConfirmOutcome.Enabled, codes);
    }

    /// <summary>
    /// Checks a second-factor code of a user whose TOTP is on, and uses it up: a TOTP code (its step, only when later
    /// than the last one accepted) or a recovery code (once). Returns the method that matched, or null. Inside the
    /// caller's transaction when there is one, so the code is spent only if what it unlocks commits.
    /// </summary>
    public async Task<string?> UseCodeAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid userId, string? code, bool totpAllowed,
        DateTimeOffset now, CancellationToken ct)
    {
        if (code is null) return null;
        if (totpAllowed && TotpCodes.LooksLikeCode(code))
        {
            const string secret = "SELECT sealed_secret AS Box, kek_id AS KekId, true AS Confirmed FROM totp_secrets WHERE user_id = @userId AND confirmed_at IS NOT NULL";
            var row = await conn.QuerySingleOrDefaultAsync<SecretRow>(secret, new { userId, ct }, tx);
            return row is not null && await AcceptTotpAsync(conn, tx, userId, row, code, now, ct) ? MfaMethods.Totp : null;
        }
        if (RecoveryCodes.Normalize(code) is not { } canonical) return null;
        // One statement: of two requests racing with one code, the second finds used_at set once the first commits.
        const string use = """
            UPDATE recovery_codes SET used_at = @now
            WHERE user_id = @userId AND code_hash = @hash AND used_at IS NULL
              AND EXISTS (SELECT 1 FROM users WHERE id = @userId AND totp_enabled)
            """;
        var used = await conn.ExecuteAsync(use, new { userId, hash = RecoveryCodes.Hash(canonical), now, ct }, tx);
        return used == 1 ? MfaMethods.RecoveryCode : null;
    }

    /// <summary><see cref="UseCodeAsync(NpgsqlConnection, NpgsqlTransaction?, Guid, string?, bool, DateTimeOffset, CancellationToken)"/> on its own connection.</summary>
    public async Task<string?> UseCodeAsync(Guid userId, string? code, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await UseCodeAsync(conn, null, userId, code, totpAllowed: true, clock.GetUtcNow(), ct);
    }

    /// <summary>Turns TOTP off: the secret and every recovery code go, the owner is mailed. False when it was not on.</summary>
    public async Task<bool> DisableAsync(UserResponse user, string method, RequestOrigin origin, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        const string off = "UPDATE users SET totp_enabled = false, updated_at = @now WHERE id = @Id AND totp_enabled";
        if (await conn.ExecuteAsync(off, new { now, user.Id, ct }, tx) != 1) return false;
        await conn.ExecuteAsync(
            "DELETE FROM totp_secrets WHERE user_id = @Id; DELETE FROM recovery_codes WHERE user_id = @Id; DELETE FROM mfa_challenges WHERE user_id = @Id",
            new { user.Id, ct }, tx);
        await OutboxStore.EnqueueAsync(conn, tx, templates.TotpDisabled(user.Email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.TotpDisabled, user.Id, origin, now, new MfaMethodDetails(method), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Replaces every recovery code with ten new ones (the old ones stop working); null when TOTP is not on.</summary>
    public async Task<string[]?> RegenerateRecoveryCodesAsync(UserResponse user, string method, RequestOrigin origin, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        const string on = "SELECT totp_enabled FROM users WHERE id = @Id FOR NO KEY UPDATE";
        if (await conn.QuerySingleOrDefaultAsync<bool?>(on, new { user.Id, ct }, tx) != true) return null;
        var codes = await ReplaceRecoveryCodesAsync(conn, tx, user.Id, now, ct);
        await OutboxStore.EnqueueAsync(conn, tx, templates.RecoveryCodesRegenerated(user.Email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.RecoveryCodesRegenerated, user.Id, origin, now, new MfaMethodDetails(method), ct);
        await tx.CommitAsync(ct);
        return codes;
    }

    /// <summary>
    /// A lost device: an admin removes the user's TOTP secret, recovery codes and passkeys (and MFA signins in flight)
    /// in one transaction, audited with the admin as actor; the owner is mailed. False when the user does not exist.
    /// </summary>
    public async Task<bool> ResetAllFactorsAsync(Guid userId, Guid adminId, RequestOrigin origin, CancellationToken ct)
    {
        const string owner = "SELECT email FROM users WHERE id = @userId FOR NO KEY UPDATE";
        const string remove = """
            WITH totp AS (DELETE FROM totp_secrets WHERE user_id = @userId RETURNING confirmed_at),
            codes AS (DELETE FROM recovery_codes WHERE user_id = @userId RETURNING 1),
            keys AS (DELETE FROM passkeys WHERE user_id = @userId RETURNING 1),
            challenges AS (DELETE FROM mfa_challenges WHERE user_id = @userId RETURNING 1),
            flags AS (UPDATE users SET totp_enabled = false, passkey_count = 0, updated_at = @now WHERE id = @userId RETURNING 1)
            SELECT (SELECT count(*) FROM totp WHERE confirmed_at IS NOT NULL) > 0 AS Totp,
                   (SELECT count(*) FROM codes)::int AS RecoveryCodes,
                   (SELECT count(*) FROM keys)::int AS Passkeys,
                   (SELECT count(*) FROM flags)::int AS Flags,
                   (SELECT count(*) FROM challenges)::int AS Challenges
            """;
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var email = await conn.QuerySingleOrDefaultAsync<string?>(owner, new { userId, ct }, tx);
        if (email is null) return false;
        var removed = await conn.QuerySingleAsync<RemovedFactors>(
            remove, new { userId, now, ct }, tx);
        await OutboxStore.EnqueueAsync(conn, tx, templates.SecondFactorsReset(email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.AdminMfaReset, userId, adminId, origin, now,
            new MfaResetDetails(removed.Totp, removed.RecoveryCodes, removed.Passkeys), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Opens the secret, finds the step the code belongs to, and takes that step in one statement: it applies only while
    /// no later or equal step was accepted, so of two requests (any replicas) with one code exactly one gets the row.
    /// </summary>
    private async Task<bool> AcceptTotpAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, Guid userId, SecretRow row, string code,
        DateTimeOffset now, CancellationToken ct)
    {
        var secret = secrets.Open(row.Box, row.KekId, AssociatedData(userId.ToString()));
        if (TotpCodes.MatchStep(secret, code, now) is not { } step) return false;
        const string accept = "UPDATE totp_secrets SET last_used_step = @step WHERE user_id = @userId AND last_used_step < @step";
        return await conn.ExecuteAsync(accept, new { step, userId, ct }, tx) == 1;
    }

    private static async Task<string[]> ReplaceRecoveryCodesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid userId,
        DateTimeOffset now, CancellationToken ct)
    {
        var codes = RecoveryCodes.New();
        var hashes = codes.Select(c => RecoveryCodes.Hash(RecoveryCodes.Normalize(c)!)).ToArray();
        await conn.ExecuteAsync("DELETE FROM recovery_codes WHERE user_id = @userId", new { userId, ct }, tx);
        await conn.ExecuteAsync(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT @userId, h, @now FROM unnest(@hashes) AS h",
            new { userId, hashes, now, ct }, tx);
        return codes;
    }

    internal sealed record RemovedFactors(bool Totp, int RecoveryCodes, int Passkeys, int Flags, int Challenges);
    internal sealed record SecretRow(byte[] Box, string KekId, bool Confirmed);
}
