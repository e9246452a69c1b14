using AuthService.Http;

namespace AuthService.Accounts;

// Members are nullable on purpose: a missing field is a validation error with a code, not a
// deserialization failure. Unknown members are refused (JsonRequest).
public sealed record SignupRequest(string? Email, string? Password, string? DisplayName) : JsonRequest;
