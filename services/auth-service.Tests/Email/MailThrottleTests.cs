using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Email;
using AuthService.Tests.Accounts;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Email;

/// <summary>
/// Email:MinIntervalPerAddress (API.md "Mail volume per address"): at most one mail of a kind per
/// address per interval, the newest waiting one (with a link minted when it is sent) when the
/// interval ends, and HTTP answers that do not change. Own service instance: it moves the clock.
/// </summary>
[Trait("Category", "Slow")]
public sealed class MailThrottleTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private static readonly Dictionary<string, string?> Throttled = new() { ["Email:MinIntervalPerAddress"] = "00:01:00" };
    private AuthServiceFactory factory = null!;
    private AuthClient client = null!;

    public async Task InitializeAsync()
    {
        factory = await AuthServiceFactory.CreateAsync(Throttled);
        client = new AuthClient(factory);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Signup_RepeatedWithinInterval_OneVerifyMailNow_TheNewestWhenTheIntervalEnds()
    {
        var email = AuthClient.NewEmail("flood");
        var first = await client.SignupAsync(email, "first passphrase of the flood 1");
        Assert.Single(TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 1)));

        var repeats = new List<HttpResponseMessage>();
        for (var i = 2; i <= 5; i++) repeats.Add(await client.SignupAsync(email, $"passphrase number {i} of the flood"));
        var unthrottled = await client.SignupAsync(AuthClient.NewEmail("fresh"));

        // Same answers throttled or not: the throttle reveals nothing.
        await TestJson.AssertIdenticalAcceptedAsync([first, .. repeats, unthrottled]);
        await QueuedAsync(email, 5);
        await SettleAsync();
        Assert.Single(await client.EmailsAsync(email));

        factory.Clock.Advance(Interval + TimeSpan.FromSeconds(1));
        var emails = await client.WaitForEmailsAsync(email, 2);
        await SettleAsync();
        emails = await client.EmailsAsync(email);
        Assert.Equal(2, emails.Length);
        var tokens = TestJson.VerifyTokens(emails);
        Assert.Equal(2, tokens.Length);

        // The deferred mail is the newest signup's, and its link (minted when sent) works with that signup's password.
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = tokens[1], password = "first passphrase of the flood 1" }),
            HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = tokens[0], password = "passphrase number 5 of the flood" })).StatusCode);
        await client.SigninAsync(email, "passphrase number 5 of the flood");
        await using var db = client.OpenDatabase();
        Assert.Equal(3, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM outbox_emails WHERE \"to\" = @email AND kind = 'verify_email' AND dropped_at IS NOT NULL", new { email }));
    }

    [Fact]
    public async Task ResendVerification_RepeatedWithinInterval_OneMoreMailWhenTheIntervalEnds_ItsLinkWorks()
    {
        var email = AuthClient.NewEmail("resend");
        await client.SignupAsync(email);
        var original = Assert.Single(TestJson.VerifyTokens(await client.WaitForEmailsAsync(email, 1)));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) answers.Add(await client.PostJsonAsync("/auth/resend-verification", new { email }));
        answers.Add(await client.PostJsonAsync("/auth/resend-verification", new { email = AuthClient.NewEmail("nobody") }));
        await TestJson.AssertIdenticalAcceptedAsync([.. answers]);
        await QueuedAsync(email, 5);
        await SettleAsync();
        Assert.Single(await client.EmailsAsync(email));

        factory.Clock.Advance(Interval + TimeSpan.FromSeconds(1)); // timestamptz keeps microseconds: not exactly on the boundary
        await client.WaitForEmailsAsync(email, 2);
        await SettleAsync();
        var tokens = TestJson.VerifyTokens(await client.EmailsAsync(email));
        Assert.Equal(2, tokens.Length);
        Assert.Equal(original, tokens[1]);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = tokens[0] })).StatusCode);
    }

    [Fact]
    public async Task Forgot_RepeatedWithinInterval_OneResetMailNow_TheNewestWhenTheIntervalEnds_ItsLinkWorks()
    {
        var email = await client.CreateVerifiedUserAsync();
        var answers = new List<HttpResponseMessage> { await client.PostJsonAsync("/auth/password/forgot", new { email }) };
        await QueuedAsync(email, 2); // the verify mail + the first reset request
        var first = Assert.Single(ResetTokens(await client.EmailsAsync(email)));
        for (var i = 0; i < 4; i++) answers.Add(await client.PostJsonAsync("/auth/password/forgot", new { email }));
        answers.Add(await client.PostJsonAsync("/auth/password/forgot", new { email = AuthClient.NewEmail("nobody") }));
        await TestJson.AssertIdenticalAcceptedAsync([.. answers]);
        await QueuedAsync(email, 6);
        await SettleAsync();
        Assert.Equal([first], ResetTokens(await client.EmailsAsync(email)));

        factory.Clock.Advance(Interval + TimeSpan.FromSeconds(1)); // timestamptz keeps microseconds: not exactly on the boundary
        await WaitUntilAsync(async () => ResetTokens(await client.EmailsAsync(email)).Length >= 2);
        await SettleAsync();
        var tokens = ResetTokens(await client.EmailsAsync(email));
        Assert.Equal(2, tokens.Length);
        Assert.Equal(first, tokens[1]);

        // Only the newest reset link works; the one mailed first died when the newer one was mailed.
        const string newPassword = "a brand new passphrase after the flood";
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/password/reset", new { token = tokens[1], newPassword }),
            HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/auth/password/reset", new { token = tokens[0], newPassword })).StatusCode);
        await client.SigninAsync(email, newPassword);
    }

    [Fact]
    public async Task Throttle_IsPerKind_AndPerAddress()
    {
        var email = await client.CreateVerifiedUserAsync(); // a verify mail just went out
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email)).StatusCode); // notice to the owner
        var other = AuthClient.NewEmail("other");
        await client.SignupAsync(other);

        await QueuedAsync(email, 3);
        var emails = await client.WaitForEmailsAsync(email, 3);
        Assert.Single(ResetTokens(emails));
        Assert.Single(TestJson.VerifyTokens(emails));
        Assert.Single(TestJson.VerifyTokens(await client.WaitForEmailsAsync(other, 1)));
    }

    [Fact]
    public async Task RefreshReuseNotice_IsRenderedFromItsParameters_AndNotThrottled()
    {
        // The refresh-reuse SQL function queues this row in the transaction that revokes the session.
        var email = await client.CreateVerifiedUserAsync();
        await using var db = client.OpenDatabase();
        const string insert = """
            INSERT INTO outbox_emails ("to", kind, params, user_id, created_at, next_attempt_at)
            SELECT email, 'refresh_reuse_notice', jsonb_build_object('device', @device, 'ip', @ip), id, @now, @now FROM users WHERE email = @email
            """;
        var now = factory.Clock.GetUtcNow();
        await db.ExecuteAsync(insert, new { email, device = "Phone <b>9</b>", ip = "198.51.100.7", now });
        await db.ExecuteAsync(insert, new { email, device = (string?)null, ip = (string?)null, now });

        var emails = await client.WaitForEmailsAsync(email, 3);
        var notices = emails.Where(e => e.GetProperty("subject").GetString()!.Contains("signed out")).ToArray();
        Assert.Equal(2, notices.Length);
        Assert.Contains("\"an unknown device\" (IP unknown)", notices[0].GetProperty("text").GetString());
        Assert.Contains("\"Phone <b>9</b>\" (IP 198.51.100.7)", notices[1].GetProperty("text").GetString());
        Assert.Contains("Phone &lt;b&gt;9&lt;/b&gt;", notices[1].GetProperty("html").GetString());
    }

    [Fact]
    public async Task DevMailbox_NeverListsAMailBeforeItIsRendered()
    {
        var email = AuthClient.NewEmail("unrendered");
        await using var db = client.OpenDatabase();
        // Not due for an hour: the dispatcher leaves it alone, and the mailbox must not show its null text.
        await db.ExecuteAsync("""
            INSERT INTO outbox_emails ("to", kind, params, created_at, next_attempt_at) VALUES (@email, 'refresh_reuse_notice', '{}', @now, @later)
            """, new { email, now = factory.Clock.GetUtcNow(), later = factory.Clock.GetUtcNow().AddHours(1) });

        Assert.Empty(await client.EmailsAsync(email));
        var all = await client.Http.GetStringAsync("/dev/emails");
        Assert.All(JsonDocument.Parse(all).RootElement.EnumerateArray(), e => Assert.Equal(JsonValueKind.String, e.GetProperty("text").ValueKind));
    }

    [Fact]
    public async Task NegativeInterval_StopsTheServiceAtStartup_NamingTheKey()
    {
        var failure = await AuthServiceFactory.StartupFailureAsync(factory.ConnectionString,
            new Dictionary<string, string?> { ["Email:MinIntervalPerAddress"] = "-00:00:01" });
        Assert.Contains("Email:MinIntervalPerAddress", failure);
    }

    private static string[] ResetTokens(IEnumerable<JsonElement> emails) =>
        emails.Select(e => Regex.Match(e.GetProperty("text").GetString()!, @"/reset-password\?token=([A-Za-z0-9_\-]+)"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();

    /// <summary>Waits until the requests (some answered before their work ran) have queued their rows.</summary>
    private async Task QueuedAsync(string email, int rows)
    {
        await using var db = client.OpenDatabase();
        await WaitUntilAsync(async () => await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails WHERE \"to\" = @email", new { email }) >= rows);
    }

    /// <summary>A few dispatcher rounds: long enough for a wrongly sent extra mail to show up.</summary>
    private static Task SettleAsync() => Task.Delay(TimeSpan.FromMilliseconds(700));

    internal static Task WaitUntilAsync(Func<Task<bool>> condition) => Wait.UntilAsync(condition, "the expected mail or outbox rows");
}

/// <summary>Two service instances on one database, both dispatching, with the throttle on.</summary>
[Trait("Category", "Slow")]
public sealed class MailThrottleReplicaTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Throttled = new() { ["Email:MinIntervalPerAddress"] = "00:01:00" };
    private AuthServiceFactory a = null!;
    private AuthServiceFactory b = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        a = new AuthServiceFactory(connectionString, Throttled);
        b = new AuthServiceFactory(connectionString, Throttled);
        var now = DateTimeOffset.UtcNow;
        a.Clock.Set(now);
        b.Clock.Set(now);
        await a.StartAsync();
        await b.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public async Task TwoDispatchers_NeverBothMailOneAddressWithinTheInterval()
    {
        var clientA = new AuthClient(a);
        var clientB = new AuthClient(b);
        var dispatchers = new[] { a, b }.Select(f => f.Services.GetRequiredService<OutboxDispatcher>()).ToArray();
        var addresses = Enumerable.Range(0, 6).Select(i => AuthClient.NewEmail($"race{i}")).ToArray();
        foreach (var email in addresses) (await clientA.SignupAsync(email)).EnsureSuccessStatusCode();

        // Resends through both replicas while both render at once (their own loops run as well):
        // each render of a mail to an address races the other replica's render of a newer one.
        await using var db = clientA.OpenDatabase();
        for (var round = 0; round < 15; round++)
        {
            foreach (var email in addresses)
                await db.ExecuteAsync("""
                    INSERT INTO outbox_emails ("to", kind, params, user_id, created_at, next_attempt_at)
                    SELECT u.email, 'verify_email', jsonb_build_object('signupId', s.id), u.id, @now, @now
                    FROM users u JOIN signups s ON s.user_id = u.id WHERE u.email = @email
                    """, new { email, now = a.Clock.GetUtcNow() });
            await Task.WhenAll(dispatchers.Select(d => d.DispatchBatchAsync(CancellationToken.None)));
            await Task.WhenAll(dispatchers.Select(d => d.DispatchBatchAsync(CancellationToken.None)));
        }
        await Task.Delay(700);
        foreach (var email in addresses)
            Assert.Single(await (email.GetHashCode() % 2 == 0 ? clientA : clientB).EmailsAsync(email));

        // When the interval ends, exactly one more each (the newest), and both replicas agree.
        a.Clock.Advance(TimeSpan.FromSeconds(61));
        b.Clock.Advance(TimeSpan.FromSeconds(61));
        for (var i = 0; i < 3; i++) await Task.WhenAll(dispatchers.Select(d => d.DispatchBatchAsync(CancellationToken.None)));
        await Task.Delay(700);
        foreach (var email in addresses)
        {
            var emails = await clientB.EmailsAsync(email);
            Assert.Equal(2, emails.Length);
            Assert.Equal(HttpStatusCode.OK, (await clientA.PostJsonAsync("/auth/verify-email", new { token = TestJson.VerifyTokens(emails)[0] })).StatusCode);
        }
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("""
            SELECT count(*) FROM outbox_emails WHERE "to" = ANY(@addresses) AND rendered_at IS NULL AND dropped_at IS NULL
            """, new { addresses }));
    }
}
