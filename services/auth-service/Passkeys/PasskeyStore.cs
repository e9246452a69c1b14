using System.Text.Json;
using AuthService.Audit;
using AuthService.Data;
using AuthService.Email;
using AuthService.Shared;
using Dapper;
using Fido2NetLib.Objects;
using Fido2NetLib.Serialization;
using Npgsql;

namespace AuthService.Passkeys;

/// <summary>
/// Passkeys and the WebAuthn ceremonies in flight. Every change of a user's passkeys sets <c>users.passkey_count</c>
/// in the same transaction, under the user row's lock, so the user object's <c>mfa.passkeys</c> is always the count.
/// </summary>
internal sealed class PasskeyStore(NpgsqlDataSource dataSource, EmailTemplates templates, TimeProvider clock)
{
    public const string RegisterPurpose = "register";
    public const string SigninPurpose = "signin";

    /// <summary>How long a ceremony's options stay usable (API.md: 5 minutes).</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Registrations a user may have in flight (several tabs); older ones are dropped when a new one starts.</summary>
    private const int MaxPendingRegistrations = 5;

    private const string CountPasskeys =
        "UPDATE users SET passkey_count = (SELECT count(*) FROM passkeys WHERE user_id = @userId) WHERE id = @userId";

    public async Task<IReadOnlyList<PasskeyResponse>> ListAsync(Guid userId, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, name AS Name, created_at AS CreatedAt, last_used_at AS LastUsedAt
            FROM passkeys WHERE user_id = @userId ORDER BY created_at, id
            """;
        var rows = await DbRetry.ReadAsync(async token =>
        {
            await using var conn = await dataSource.OpenConnectionAsync(token);
            return await conn.QueryAsync<PasskeyListRow>(
                sql, new { userId, token });
        }, ct);
        return rows.Select(r => new PasskeyResponse(r.Id, r.Name, DbTime.Utc(r.CreatedAt), r.LastUsedAt is { } used ? DbTime.Utc(used) : null)).ToList();
    }

    /// <summary>The user's credentials, for <c>excludeCredentials</c>: an authenticator that holds one is not registered twice.</summary>
    public async Task<IReadOnlyList<PublicKeyCredentialDescriptor>> DescriptorsAsync(Guid userId, CancellationToken ct)
    {
        const string sql = "SELECT credential_id AS Id, transports AS Transports FROM passkeys WHERE user_id = @userId ORDER BY created_at";
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var rows = await conn.QueryAsync<DescriptorRow>(sql, new { userId, ct });
        return rows.Select(r => new PublicKeyCredentialDescriptor(PublicKeyCredentialType.PublicKey, r.Id, ParseTransports(r.Transports))).ToList();
    }

    /// <summary>Stores a ceremony's options (its challenge inside) for <see cref="ChallengeLifetime"/>; returns its id.</summary>
    public async Task<Guid> SaveChallengeAsync(Guid? userId, string purpose, string optionsJson, CancellationToken ct)
    {
        const string insert = """
            INSERT INTO webauthn_challenges (id, user_id, purpose, options, created_at, expires_at)
            VALUES (@id, @userId, @purpose, @optionsJson::jsonb, @now, @expiresAt)
            """;
        const string trim = """
            DELETE FROM webauthn_challenges WHERE user_id = @userId AND purpose = @purpose AND id NOT IN (
                SELECT id FROM webauthn_challenges WHERE user_id = @userId AND purpose = @purpose ORDER BY created_at DESC, id DESC LIMIT @keep)
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(insert, new { id, userId, purpose, optionsJson, now, expiresAt = now + ChallengeLifetime, ct });
        if (userId is not null)
            await conn.ExecuteAsync(trim, new { userId, purpose, keep = MaxPendingRegistrations, ct });
        return id;
    }

    /// <summary>
    /// Takes (deletes) the user's pending registration whose options carry <paramref name="challenge"/>: single use, so of two
    /// requests with one attestation only one gets the options. Null when there is none or it expired.
    /// </summary>
    public async Task<string?> TakeRegisterChallengeAsync(Guid userId, string challenge, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return Unexpired(await conn.QuerySingleOrDefaultAsync<TakenChallenge>("""
            DELETE FROM webauthn_challenges
            WHERE user_id = @userId AND purpose = 'register' AND options->>'challenge' = @challenge
            RETURNING options::text AS Options, expires_at AS ExpiresAt
            """, new { userId, challenge, ct }));
    }

    /// <summary>Takes (deletes) a passwordless signin's challenge by its id; null when unknown, used or expired.</summary>
    public async Task<string?> TakeSigninChallengeAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return Unexpired(await conn.QuerySingleOrDefaultAsync<TakenChallenge>("""
            DELETE FROM webauthn_challenges WHERE id = @id AND purpose = 'signin'
            RETURNING options::text AS Options, expires_at AS ExpiresAt
            """, new { id, ct }));
    }

    private string? Unexpired(TakenChallenge? taken) =>
        taken is not null && DbTime.Utc(taken.ExpiresAt) > clock.GetUtcNow() ? taken.Options : null;

    public async Task<bool> IsCredentialIdFreeAsync(byte[] credentialId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return !await conn.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = @credentialId)", new { credentialId, ct });
    }

    /// <summary>
    /// Stores a verified credential, recounts the user's passkeys, mails the owner and audits, in one transaction. Null when
    /// the credential id is registered already (to anyone), or the user is gone.
    /// </summary>
    public async Task<PasskeyResponse?> AddAsync(Guid userId, RegisteredPublicKeyCredential credential, string name, RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = "SELECT email FROM users WHERE id = @userId FOR UPDATE";
        const string insert = """
            INSERT INTO passkeys (id, user_id, credential_id, public_key, sign_count, aaguid, transports, name, created_at)
            VALUES (@id, @userId, @credentialId, @publicKey, @signCount, @aaguid, @transports, @name, @now)
            ON CONFLICT (credential_id) DO NOTHING
            """;
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var email = await conn.QuerySingleOrDefaultAsync<string?>(lockUser, new { userId, ct }, tx);
        if (email is null) return null;
        var inserted = await conn.ExecuteAsync(insert, new
        {
            id, userId, credentialId = credential.Id, publicKey = credential.PublicKey, signCount = (long)credential.SignCount,
            aaguid = credential.AaGuid == Guid.Empty ? (Guid?)null : credential.AaGuid,
            transports = FormatTransports(credential.Transports), name, now, ct,
        }, tx);
        if (inserted == 0) return null;
        await conn.ExecuteAsync(CountPasskeys, new { userId, ct }, tx);
        await OutboxStore.EnqueueAsync(conn, tx, templates.PasskeyAdded(email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasskeyAdded, userId, origin, now, new PasskeyDetails(id), ct);
        await tx.CommitAsync(ct);
        return new PasskeyResponse(id, name, now, null);
    }

    /// <summary>Deletes one of the user's passkeys, recounts, mails and audits in one transaction; false when it is not theirs.</summary>
    public async Task<bool> DeleteAsync(Guid userId, Guid passkeyId, RequestOrigin origin, CancellationToken ct)
    {
        const string lockUser = "SELECT email FROM users WHERE id = @userId FOR UPDATE";
        const string delete = "DELETE FROM passkeys WHERE id = @passkeyId AND user_id = @userId";
        var now = clock.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var email = await conn.QuerySingleOrDefaultAsync<string?>(lockUser, new { userId, ct }, tx);
        if (email is null || await conn.ExecuteAsync(delete, new { passkeyId, userId, ct }, tx) == 0)
            return false;
        await conn.ExecuteAsync(CountPasskeys, new { userId, ct }, tx);
        await OutboxStore.EnqueueAsync(conn, tx, templates.PasskeyRemoved(email), now, ct);
        await AuditLog.WriteAsync(conn, tx, AuditKinds.PasskeyRemoved, userId, origin, now, new PasskeyDetails(passkeyId), ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The passkey with this credential id and its owner, or null.</summary>
    public async Task<StoredPasskey?> FindAsync(byte[] credentialId, CancellationToken ct)
    {
        const string sql = $"""
            SELECT p.id AS PasskeyId, p.public_key AS PublicKey, p.sign_count AS SignCount, u.disabled_at IS NOT NULL AS Disabled, {UserRow.ColumnsOfU}
            FROM passkeys p JOIN users u ON u.id = p.user_id
            WHERE p.credential_id = @credentialId
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var p = await conn.QuerySingleOrDefaultAsync<PasskeyRow>(sql, new { credentialId, ct });
        return p is null ? null
            : new StoredPasskey(p.PasskeyId, p.PublicKey, p.SignCount,
                new UserRow(p.Id, p.Email, p.EmailVerified, p.DisplayName, p.CreatedAt, p.Roles, p.Totp, p.Passkeys).ToResponse(), p.Disabled);
    }

    /// <summary>
    /// Moves the counter from <paramref name="seen"/> to <paramref name="counter"/> and stamps the use, only if nobody moved it
    /// meanwhile: of two parallel signins with one counter value, one wins.
    /// </summary>
    public async Task<bool> RecordUseAsync(Guid passkeyId, long seen, long counter, CancellationToken ct)
    {
        const string sql = "UPDATE passkeys SET sign_count = @counter, last_used_at = @now WHERE id = @passkeyId AND sign_count = @seen";
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.ExecuteAsync(sql, new { passkeyId, seen, counter, now = clock.GetUtcNow(), ct }) == 1;
    }

    public Task AuditFailureAsync(Guid userId, Guid passkeyId, string reason, RequestOrigin origin, CancellationToken ct) =>
        AuditLog.WriteAsync(dataSource, AuditKinds.PasskeySigninFailed, userId, origin, clock.GetUtcNow(), new PasskeySigninFailedDetails(passkeyId, reason), ct);

    private static string[] FormatTransports(AuthenticatorTransport[]? transports) =>
        transports is null ? [] : [.. transports.Select(t => JsonSerializer.Serialize(t, FidoModelSerializerContext.Default.AuthenticatorTransport).Trim('"')).Distinct()];

    private static AuthenticatorTransport[] ParseTransports(string[] names)
    {
        var parsed = new List<AuthenticatorTransport>();
        foreach (var name in names)
        {
            try
            {
                parsed.Add(JsonSerializer.Deserialize($"\"{name}\"", FidoModelSerializerContext.Default.AuthenticatorTransport));
            }
            catch (JsonException)
            {
                // a transport this version does not know: the browser works without the hint
            }
        }
        return [.. parsed];
    }

    // The passkey's columns, then its user's (UserRow.ColumnsOfU): one flat row, read without multi-mapping.
    internal sealed record PasskeyRow(Guid PasskeyId, byte[] PublicKey, long SignCount, bool Disabled,
        Guid Id, string Email, bool EmailVerified, string? DisplayName, DateTime CreatedAt, string[] Roles, bool Totp, int Passkeys);
    internal sealed record PasskeyListRow(Guid Id, string Name, DateTime CreatedAt, DateTime? LastUsedAt);
    internal sealed record DescriptorRow(byte[] Id, string[] Transports);
    internal sealed record TakenChallenge(string Options, DateTime ExpiresAt);
}
