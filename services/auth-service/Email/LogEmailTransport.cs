namespace AuthService.Email;

/// <summary>Development transport: records that a mail left, never its body (which holds the token).</summary>
public sealed class LogEmailTransport(ILogger<LogEmailTransport> logger) : IEmailTransport
{
    public Task SendAsync(EmailMessage message, CancellationToken ct)
    {
        logger.LogInformation("Email \"{Subject}\" to {To} (transport: log)", message.Subject, message.To);
        return Task.CompletedTask;
    }
}
