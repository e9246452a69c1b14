namespace AuthService.Email;

public interface IEmailTransport
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}
