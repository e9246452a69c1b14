namespace AuthService.Options;

public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary><c>log</c> or <c>smtp</c>.</summary>
    public string Transport { get; set; } = "log";
    public string ProductName { get; set; } = "auth-service";
    public string From { get; set; } = "no-reply@localhost";
    /// <summary>Where replies to the service's mail go (a support address); none when unset.</summary>
    public string? ReplyTo { get; set; }
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int MaxAttempts { get; set; } = 8;
    /// <summary>
    /// At most one mail of each throttled kind (verification, reset, signup on a taken address) per
    /// address per interval; the newest one waiting goes out when it ends. Zero switches it off.
    /// </summary>
    public TimeSpan MinIntervalPerAddress { get; set; } = TimeSpan.FromMinutes(1);
    public SmtpOptions Smtp { get; set; } = new();
}
