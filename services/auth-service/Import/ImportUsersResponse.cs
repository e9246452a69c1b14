namespace AuthService.Import;

/// <summary>How many users were imported, and each skipped one with its reason, in request order.</summary>
public sealed record ImportUsersResponse(int Imported, IReadOnlyList<ImportSkipped> Skipped);
