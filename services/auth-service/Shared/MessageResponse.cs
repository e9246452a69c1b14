namespace AuthService.Shared;

/// <summary>An accepted request whose outcome is deliberately vague (it must not reveal accounts).</summary>
public sealed record MessageResponse(string Message);
