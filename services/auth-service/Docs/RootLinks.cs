namespace AuthService.Docs;

/// <summary>GET / as JSON: where to go next. <c>docs</c> and <c>demo</c> are absent when switched off.</summary>
public sealed record RootLinks(string Service, string Version, string Discovery, string OpenApi, string? Docs, string? Demo);
