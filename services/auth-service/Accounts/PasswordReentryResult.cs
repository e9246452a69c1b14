using AuthService.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AuthService.Accounts;

/// <summary>A <see cref="PasswordReentry"/> check: its lockout attempt, and the answer when the password was not accepted (null when it was).</summary>
internal sealed record PasswordReentryResult(LockoutAttempt Attempt, ProblemHttpResult? Refusal);
