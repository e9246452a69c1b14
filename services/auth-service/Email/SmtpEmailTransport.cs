using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AuthService.Options;
using AuthService.Telemetry;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AuthService.Email;

/// <summary>
/// Delivers through an SMTP relay with MailKit: multipart/alternative text + HTML, implicit TLS or
/// STARTTLS (<c>Email:Smtp:Security</c>), AUTH when a username is set, and <c>Email:Smtp:Timeout</c>
/// for the connect and for each command. One connection per message: the outbox dispatcher sends
/// rarely, and a fresh connection never inherits a half-broken session.
/// </summary>
public sealed class SmtpEmailTransport(IOptions<EmailOptions> options) : IEmailTransport
{
    private readonly EmailOptions email = options.Value;
    private readonly Lazy<X509Certificate2?> pinned = new(() => LoadCertificate(options.Value.Smtp.ServerCertificate));

    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        var smtp = email.Smtp;
        // The relay's address only: the recipient and the server's replies (which may quote it) stay out.
        using var span = AuthTracing.Source.StartActivity("smtp.send", ActivityKind.Client);
        span?.SetTag("server.address", smtp.Host).SetTag("server.port", smtp.Port);
        try
        {
            await SendAsync(message, smtp, ct);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    private async Task SendAsync(EmailMessage message, SmtpOptions smtp, CancellationToken ct)
    {
        using var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(email.ProductName, email.From));
        if (!string.IsNullOrWhiteSpace(email.ReplyTo)) mail.ReplyTo.Add(MailboxAddress.Parse(email.ReplyTo));
        mail.To.Add(MailboxAddress.Parse(message.To)); // throws ParseException for a malformed address: the attempt fails
        mail.Subject = message.Subject;
        mail.Body = new BodyBuilder { TextBody = message.Text, HtmlBody = message.Html }.ToMessageBody();

        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        if (pinned.Value is not null) client.ServerCertificateValidationCallback = AcceptPinned;
        await client.ConnectAsync(smtp.Host, smtp.Port, ToMailKit(smtp.EffectiveSecurity), ct);
        if (!string.IsNullOrEmpty(smtp.Username)) await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", ct);
        await client.SendAsync(mail, ct);
        await client.DisconnectAsync(quit: true, ct);
    }

    private static SecureSocketOptions ToMailKit(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto, // 465: SslOnConnect; otherwise StartTlsWhenAvailable
    };

    /// <summary>
    /// The system's verdict, except that an untrusted chain is accepted when the server presents exactly
    /// the configured certificate. A name mismatch is never accepted.
    /// </summary>
    private bool AcceptPinned(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        return errors == SslPolicyErrors.RemoteCertificateChainErrors
            && certificate is not null
            && certificate.GetRawCertData().AsSpan().SequenceEqual(pinned.Value!.RawData);
    }

    /// <summary>PEM (<c>-----BEGIN CERTIFICATE-----</c>) or DER.</summary>
    private static X509Certificate2? LoadCertificate(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        var bytes = File.ReadAllBytes(path);
        var text = System.Text.Encoding.ASCII.GetString(bytes);
        return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPem(text)
            : X509CertificateLoader.LoadCertificate(bytes);
    }
}
