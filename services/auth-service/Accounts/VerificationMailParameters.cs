using AuthService.Email;

namespace AuthService.Accounts;

/// <summary>The signup whose verification link <see cref="VerificationMail"/> mints at send time.</summary>
public sealed record VerificationMailParameters(long SignupId) : OutboxParameters;
