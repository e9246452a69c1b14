namespace AuthService.Docs;

/// <summary>How the reference describes a request or response body type; see <see cref="SchemaCatalog"/>.</summary>
public sealed record SchemaDoc(string Description, IReadOnlyList<PropertyDoc> Properties);
