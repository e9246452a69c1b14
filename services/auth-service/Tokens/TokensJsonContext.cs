using System.Text.Json.Serialization;

namespace AuthService.Tokens;

/// <summary>Build-time serializer metadata for the stored public JWK: the JWK member names are the camelCase of its record's.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PublicJwk))]
internal sealed partial class TokensJsonContext : JsonSerializerContext;
