namespace AuthService.Docs;

/// <summary>Marks an endpoint that passes the startup gate and touches no database, so its reference lists no 503.</summary>
public sealed record AlwaysAvailableMetadata;
