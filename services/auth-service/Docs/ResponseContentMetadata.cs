namespace AuthService.Docs;

/// <summary>
/// The body of an answer the framework cannot infer (pre-rendered bytes, HTML): a schema from
/// <see cref="ApiDocumentTransformer"/>'s components, or a plain string when <paramref name="SchemaId"/> is null.
/// </summary>
public sealed record ResponseContentMetadata(int Status, string ContentType, string? SchemaId);
