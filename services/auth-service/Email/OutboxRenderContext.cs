using System.Text.Json;
using Npgsql;

namespace AuthService.Email;

/// <summary>An outbox row being rendered, with the transaction that will mark it rendered.</summary>
public sealed record OutboxRenderContext(
    NpgsqlConnection Connection, NpgsqlTransaction Transaction, long Id, string To, Guid? UserId, JsonElement Params, DateTimeOffset Now)
{
    public long? Long(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    public string? String(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
