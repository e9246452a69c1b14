namespace AuthService.Options;

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
