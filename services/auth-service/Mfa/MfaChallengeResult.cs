using AuthService.Shared;

namespace AuthService.Mfa;

/// <summary>
/// A second step's verdict: the signed-in <see cref="User"/> and the <see cref="Method"/> that proved it, or neither
/// (a wrong code: <see cref="Failures"/> so far; an unknown, used, expired or void token: 0).
/// </summary>
internal sealed record MfaChallengeResult(UserResponse? User, string? Method, int Failures);
