using System.Text.Json.Serialization;

namespace AuthService.Audit;

/// <summary>
/// Build-time serializer metadata for <see cref="AuditDetails"/> (audit_events.details, jsonb). camelCase member names,
/// nulls written: the keys the account export, the erasure on deletion and the documented details read.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AuditDetails))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
