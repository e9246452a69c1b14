using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Email;

/// <summary>Delivers through an SMTP relay (System.Net.Mail): multipart text + HTML, optional STARTTLS and credentials.</summary>
public sealed class SmtpEmailTransport(IOptions<EmailOptions> options) : IEmailTransport
{
    private readonly EmailOptions email = options.Value;

    public async Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        var smtp = email.Smtp;
        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.StartTls,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)smtp.Timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(smtp.Username)) client.Credentials = new NetworkCredential(smtp.Username, smtp.Password);

        using var mail = new MailMessage(new MailAddress(email.From, email.ProductName), new MailAddress(message.To))
        {
            Subject = message.Subject,
            Body = message.Text,
            IsBodyHtml = false,
        };
        mail.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(message.Html, null, MediaTypeNames.Text.Html));
        await client.SendMailAsync(mail, ct);
    }
}
