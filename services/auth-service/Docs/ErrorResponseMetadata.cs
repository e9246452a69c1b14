namespace AuthService.Docs;

/// <summary>
/// One problem an endpoint answers: its status, its contract <c>code</c> and, optionally, when this
/// endpoint gives it. Read by <see cref="OperationDocsTransformer"/>; has no effect on requests.
/// </summary>
public sealed record ErrorResponseMetadata(int Status, string Code, string? When = null);
