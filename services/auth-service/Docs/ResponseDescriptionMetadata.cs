namespace AuthService.Docs;

/// <summary>What a success (or other non-problem) answer of an endpoint means, for the OpenAPI document.</summary>
public sealed record ResponseDescriptionMetadata(int Status, string Description);
