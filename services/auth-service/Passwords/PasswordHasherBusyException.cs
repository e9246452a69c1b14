using AuthService.Http;

namespace AuthService.Passwords;

/// <summary>Thrown when the hashing queue stays full past its timeout; answered with 503 and Retry-After: 2.</summary>
public sealed class PasswordHasherBusyException() : ServiceBusyException("Too many password hashes are queued.", TimeSpan.FromSeconds(2));
