using System.Security.Cryptography;
using AuthService.Mfa;
using Dapper;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>
/// Re-seals every stored secret under the newest key-encryption key, one row at a time: each row is read, opened
/// with whichever configured key opens it, sealed again and written back by a single UPDATE that only applies while
/// the row still holds what was read. No transaction spans rows, so replicas keep reading throughout, and each of
/// them always finds a box it can open, the old one or the new (both keys are configured everywhere by then).
/// Running it again finds nothing to do; two runs at once never write a row twice.
/// </summary>
internal sealed class KeyRewrap(NpgsqlDataSource dataSource, ServerSecrets secrets)
{
    /// <summary>Every sealed column: a new kind of sealed secret is one more line here.</summary>
    private static readonly SealedColumn[] Columns =
    [
        new("signing key", "signing_keys", "kid", "private_key", kid => kid),
        new("server secret", "server_secrets", "name", "sealed_value", ServerSecretStore.AssociatedData),
        new("TOTP secret", "totp_secrets", "user_id", "sealed_secret", MfaStore.AssociatedData, IdType: "uuid"),
    ];

    public async Task<KeyRewrapResult> RunAsync(CancellationToken ct)
    {
        int rewrapped = 0, alreadySealed = 0;
        var unopenable = new List<string>();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        foreach (var column in Columns)
        {
            // SQL known only at run time and without parameters: the token itself is the parameter object, where the generated code finds it.
            var ids = await conn.QueryAsync<string>(
                $"SELECT {column.IdColumn}::text FROM {column.Table} WHERE {column.SealedColumnName} IS NOT NULL ORDER BY 1", ct);
            foreach (var id in ids)
            {
                switch (await RewrapRowAsync(conn, column, id, ct))
                {
                    case Outcome.Rewrapped: rewrapped++; break;
                    case Outcome.AlreadySealed: alreadySealed++; break;
                    case Outcome.Unopenable: unopenable.Add($"{column.What} '{id}'"); break;
                    case Outcome.Gone: break; // deleted meanwhile (an expired signing key cleaned up)
                }
            }
        }
        return new KeyRewrapResult(secrets.SealingKeyId, rewrapped, alreadySealed, unopenable);
    }

    private async Task<Outcome> RewrapRowAsync(NpgsqlConnection conn, SealedColumn column, string id, CancellationToken ct)
    {
        // A lost conditional update means another rewrap got there first: read the row again and look.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var row = await ReadRowAsync(conn,
                $"SELECT {column.SealedColumnName} AS Box, kek_id AS KekId FROM {column.Table} WHERE {column.IdColumn} = CAST(@id AS {column.IdType})",
                id, ct);
            if (row?.Box is null) return Outcome.Gone;
            if (row.KekId == secrets.SealingKeyId) return Outcome.AlreadySealed;

            var associatedData = column.AssociatedData(id);
            if (!secrets.TryOpen(row.Box, row.KekId, associatedData, out var plaintext, out _)) return Outcome.Unopenable;
            SealedValue resealed;
            try
            {
                resealed = secrets.Seal(plaintext, associatedData);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }

            await using var update = new NpgsqlCommand($"""
                UPDATE {column.Table} SET {column.SealedColumnName} = @Box, kek_id = @KekId
                WHERE {column.IdColumn} = CAST(@id AS {column.IdType}) AND {column.SealedColumnName} = @oldBox AND kek_id IS NOT DISTINCT FROM @oldKekId
                """, conn);
            update.Parameters.AddWithValue("Box", resealed.Box);
            update.Parameters.AddWithValue("KekId", resealed.KekId);
            update.Parameters.AddWithValue("id", id);
            update.Parameters.AddWithValue("oldBox", row.Box);
            update.Parameters.AddWithValue("oldKekId", (object?)row.KekId ?? DBNull.Value);
            var updated = await update.ExecuteNonQueryAsync(ct);
            if (updated == 1) return Outcome.Rewrapped;
        }
        throw new InvalidOperationException($"The {column.What} '{id}' kept changing while it was being rewrapped.");
    }

    // The table and columns vary per sealed column, so the SQL is known only at run time; for such SQL with parameters the
    // generated Dapper code (DapperAot.cs) cannot carry the cancellation token, so these statements go through Npgsql itself.
    private static async Task<Row?> ReadRowAsync(NpgsqlConnection conn, string sql, string id, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new Row(reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private enum Outcome { Rewrapped, AlreadySealed, Unopenable, Gone }

    /// <summary><paramref name="IdType"/>: the id column's SQL type; ids travel as text (a uuid's canonical form is its associated data).</summary>
    private sealed record SealedColumn(string What, string Table, string IdColumn, string SealedColumnName, Func<string, string> AssociatedData,
        string IdType = "text");

    private sealed record Row(byte[]? Box, string? KekId);
}
