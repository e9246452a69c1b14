namespace AuthService.Docs;

/// <summary>A header an endpoint sets on one of its answers (Set-Cookie, ETag …), for the OpenAPI document.</summary>
public sealed record ResponseHeaderMetadata(int Status, string Name, string Description);
