namespace AuthService.Http;

/// <summary>
/// A resource of this process is saturated for a moment (e.g. the password-hashing queue): answered
/// with 503 service_unavailable and <see cref="RetryAfter"/>, logged as nothing worse than that.
/// </summary>
public class ServiceBusyException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
