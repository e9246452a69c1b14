using Microsoft.OpenApi;

namespace AuthService.Docs;

/// <summary>A header or cookie an endpoint reads outside its route and body, for the OpenAPI document.</summary>
public sealed record RequestParameterMetadata(string Name, ParameterLocation In, string Description, bool Required, string? Example = null);
