using System.Text.Json.Serialization;

namespace AuthService.Email;

/// <summary>Build-time serializer metadata for <see cref="OutboxParameters"/>: camelCase member names, what the mails read.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OutboxParameters))]
internal sealed partial class OutboxJsonContext : JsonSerializerContext;
