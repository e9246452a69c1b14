namespace AuthService.Docs;

/// <summary>How the reference describes one error code: its status, a typical title, what it means, and the headers that come with it.</summary>
public sealed record ProblemDoc(int Status, string Title, string Meaning, bool RetryAfter = false, bool WwwAuthenticate = false);
