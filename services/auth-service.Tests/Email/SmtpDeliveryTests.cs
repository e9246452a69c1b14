using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Email;

[Trait("Category", "Slow")]
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
            ["Email:ReplyTo"] = "support@auth.test",
            ["Email:ProductName"] = "Example & <Co>",
            ["Email:MaxAttempts"] = "3",
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
        Assert.Matches("(?m)^Reply-To: support@auth.test\r?$", mail.Raw);
        Assert.Contains("text/plain", mail.Raw);
        Assert.Contains("text/html", mail.Raw);

        using var db = client.OpenDatabase();
        var row = await WaitForRowAsync(db, email, r => r.SentAt is not null); // marked after the send commits
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

    [Fact]
    public async Task UndeliverableMail_IsGivenUpAfterMaxAttempts_WithoutHoldingUpOtherMail()
    {
        using var db = client.OpenDatabase();
        // An address the SMTP client refuses outright: every attempt fails.
        const string poison = "not an address@@example.com";
        await db.ExecuteAsync("""
            INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at)
            VALUES (@poison, 'poison', 't', 'h', @now, @now)
            """, new { poison, now = factory.Clock.GetUtcNow() });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await WaitForRowAsync(db, poison, r => r.Attempts >= attempt);
            factory.Clock.Advance(TimeSpan.FromHours(1)); // past any backoff
        }

        var email = AuthClient.NewEmail("after-poison");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode);
        await smtp.WaitForAsync(r => r.Any(m => m.To.Contains(email)));

        factory.Clock.Advance(TimeSpan.FromHours(2));
        await Task.Delay(TimeSpan.FromSeconds(1)); // several dispatch cycles
        var given = await WaitForRowAsync(db, poison, _ => true);
        Assert.Equal(3, given.Attempts);
        Assert.Null(given.SentAt);
        Assert.False(string.IsNullOrEmpty(given.LastError));
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
