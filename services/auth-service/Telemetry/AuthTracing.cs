using System.Diagnostics;

namespace AuthService.Telemetry;

/// <summary>
/// The service's own spans (ActivitySource <c>AuthService</c>): password hashing, outbox rendering and
/// sending, the SMTP conversation and work done after the answer. Like the meter's attributes, their tags
/// never carry an email, password, token, address or user id.
/// </summary>
public static class AuthTracing
{
    public const string SourceName = "AuthService";

    public static readonly ActivitySource Source = new(SourceName, typeof(AuthTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Marks a span failed by exception type alone: messages (SMTP replies, SQL errors) can quote personal data.</summary>
    public static void Failed(this Activity? span, Exception error)
    {
        span?.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
        span?.SetTag("error.type", error.GetType().FullName);
    }
}
