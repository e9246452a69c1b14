namespace AuthService.Import;

/// <summary>A user that was not imported, and why (<see cref="ImportSkipReasons"/>). <c>email</c> is as given (null when absent).</summary>
public sealed record ImportSkipped(string? Email, string Reason);
