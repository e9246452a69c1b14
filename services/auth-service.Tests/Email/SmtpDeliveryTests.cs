using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Email;

public sealed class SmtpDeliveryTests : IAsyncLifetime
{
    private SmtpServer smtp = null!;
    private AuthServiceFactory factory = null!;
    private AuthClient client = null!;

    public async Task InitializeAsync()
    {
        smtp = await SmtpServer.StartAsync();
        factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?>
        {
            ["Email:Transport"] = "smtp",
            ["Email:Smtp:Host"] = "127.0.0.1",
            ["Email:Smtp:Port"] = smtp.Port.ToString(),
            ["Email:From"] = "no-reply@auth.test",
            ["Email:ProductName"] = "Example & <Co>",
        });
        client = new AuthClient(factory);
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        await smtp.DisposeAsync();
    }

    [Fact]
    public async Task Signup_DeliversVerificationMailThroughSmtp_WithTextAndEscapedHtml()
    {
        var email = AuthClient.NewEmail("smtp");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        var received = await smtp.WaitForAsync(r => r.Any(m => m.To.Contains(email)));
        var mail = Assert.Single(received, m => m.To.Contains(email));
        Assert.Equal("Verify your email for Example & <Co>", mail.Subject);
        Assert.Contains("no-reply@auth.test", mail.Raw);
        Assert.Contains("text/plain", mail.Raw);
        Assert.Contains("text/html", mail.Raw);

        using var db = client.OpenDatabase();
        var row = await db.QuerySingleAsync<(DateTime? SentAt, int Attempts)>(
            "SELECT sent_at, attempts FROM outbox_emails WHERE \"to\" = @email", new { email });
        Assert.NotNull(row.SentAt);
        Assert.Equal(1, row.Attempts);

        var html = await db.QuerySingleAsync<string>("SELECT html FROM outbox_emails WHERE \"to\" = @email", new { email });
        Assert.Contains("Example &amp; &lt;Co&gt;", html);
        Assert.DoesNotContain("<Co>", html);
    }

    [Fact]
    public async Task SmtpOutage_MailIsRetriedWithBackoffAndDeliveredOnceWhenServerReturns()
    {
        await smtp.StopAsync();
        var email = AuthClient.NewEmail("outage");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);

        using var db = client.OpenDatabase();
        var failed = await WaitForRowAsync(db, email, r => r.Attempts >= 1);
        Assert.Null(failed.SentAt);
        Assert.False(string.IsNullOrEmpty(failed.LastError));
        Assert.True(failed.NextAttemptAt > factory.Clock.GetUtcNow().UtcDateTime, "a failed send must back off");

        await smtp.StartAgainAsync();
        factory.Clock.Advance(TimeSpan.FromMinutes(5)); // past the backoff
        await smtp.WaitForAsync(r => r.Any(m => m.To.Contains(email)));
        var delivered = await WaitForRowAsync(db, email, r => r.SentAt is not null);
        Assert.NotNull(delivered.SentAt);

        // Further dispatch cycles must not send it again.
        factory.Clock.Advance(TimeSpan.FromHours(2));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(smtp.Received(), m => m.To.Contains(email));
    }

    private sealed record OutboxRow(DateTime? SentAt, int Attempts, string? LastError, DateTime NextAttemptAt);

    private static async Task<OutboxRow> WaitForRowAsync(Npgsql.NpgsqlConnection db, string email, Func<OutboxRow, bool> predicate)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var row = await db.QuerySingleAsync<OutboxRow>(
                "SELECT sent_at AS SentAt, attempts AS Attempts, last_error AS LastError, next_attempt_at AS NextAttemptAt FROM outbox_emails WHERE \"to\" = @email",
                new { email });
            if (predicate(row)) return row;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Outbox row never matched; last: {row}");
            await Task.Delay(100);
        }
    }
}
