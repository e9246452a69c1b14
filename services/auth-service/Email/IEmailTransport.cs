using System.Data;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.Retry;
using Polly;

namespace AuthService.Email;

public interface IEmailTransport
{
    Task SendAsync(EmailMessage message, CancellationToken ct);
}
