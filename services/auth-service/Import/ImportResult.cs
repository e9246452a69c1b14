namespace AuthService.Import;

/// <summary>One batch's outcome: how many users were imported, and every skipped one in input order (<c>Index</c> is the row's position in the batch).</summary>
public sealed record ImportResult(int Imported, IReadOnlyList<(int Index, ImportSkipped Skipped)> Skipped);
