namespace AuthService.Options;

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
