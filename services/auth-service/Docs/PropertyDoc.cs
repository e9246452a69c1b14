namespace AuthService.Docs;

/// <summary>
/// One member of a documented body: its JSON name, what it means, an example value and, for request
/// bodies, whether it must be sent (request members are nullable in C# only so a missing one becomes a
/// validation error with a code).
/// </summary>
public sealed record PropertyDoc(string Name, string Description, object? Example = null, bool Required = false);
