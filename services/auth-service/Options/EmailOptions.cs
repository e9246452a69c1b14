namespace AuthService.Options;

public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary><c>log</c> or <c>smtp</c>.</summary>
    public string Transport { get; set; } = "log";
    public string ProductName { get; set; } = "auth-service";
    public string From { get; set; } = "no-reply@localhost";
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int MaxAttempts { get; set; } = 8;
    /// <summary>
    /// At most one mail of each throttled kind (verification, reset, signup on a taken address) per
    /// address per interval; the newest one waiting goes out when it ends. Zero switches it off.
    /// </summary>
    public TimeSpan MinIntervalPerAddress { get; set; } = TimeSpan.FromMinutes(1);
    public SmtpOptions Smtp { get; set; } = new();
}

/// <summary>How the SMTP connection is secured (MailKit's <c>SecureSocketOptions</c>).</summary>
public enum SmtpSecurity
{
    /// <summary>Plain text, even when the server offers STARTTLS (a local catcher).</summary>
    None,
    /// <summary>Port 465: TLS from the first byte (implicit TLS, "SMTPS"); anything else: STARTTLS when the server offers it.</summary>
    Auto,
    /// <summary>STARTTLS required (submission, port 587): no mail goes out if the server does not offer it.</summary>
    StartTls,
    /// <summary>Implicit TLS from the first byte (port 465).</summary>
    SslOnConnect,
}

public sealed class SmtpOptions
{
    public string Host { get; set; } = "localhost";
    public int Port { get; set; } = 25;

    /// <summary><c>None</c>, <c>Auto</c>, <c>StartTls</c> or <c>SslOnConnect</c>; unset: <c>StartTls</c> when the older
    /// <see cref="StartTls"/> flag is true, otherwise <c>Auto</c>.</summary>
    public SmtpSecurity? Security { get; set; }

    /// <summary>Older spelling of <c>Security=StartTls</c>, still honoured; setting both differently is a startup error.</summary>
    public bool StartTls { get; set; }

    /// <summary>AUTH with these credentials when <see cref="Username"/> is set (over TLS unless Security is None).</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>Connect timeout, and the limit for each SMTP command's answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Path of a PEM or DER certificate to trust as the relay's own, in addition to the system's
    /// certificate authorities: for an internal relay with a self-signed certificate. The server must
    /// present exactly this certificate, for the configured host name.
    /// </summary>
    public string? ServerCertificate { get; set; }

    /// <summary>The security actually used: <see cref="Security"/>, else the <see cref="StartTls"/> flag, else Auto.</summary>
    public SmtpSecurity EffectiveSecurity => Security ?? (StartTls ? SmtpSecurity.StartTls : SmtpSecurity.Auto);
}

public sealed class DevEndpointsOptions
{
    public const string Section = "DevEndpoints";
    public bool Enabled { get; set; }
}
