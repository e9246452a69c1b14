using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Infrastructure;

public sealed record SignedIn(string AccessToken, string RefreshToken, JsonElement Body);

/// <summary>
/// Talks to the service like an SPA would, but keeps the refresh cookie by hand so tests can read
/// and replay it exactly (the cookie is Secure, and the test server speaks plain http).
/// </summary>
public sealed partial class AuthClient(AuthServiceFactory factory)
{
    public const string CookieName = "__Secure-refresh_token";
    public const string DefaultPassword = "a perfectly fine passphrase 42";

    // BaseAddress from the factory: after UseKestrel + StartAsync it is the real loopback address, not http://localhost.
    public HttpClient Http { get; } = factory.CreateClient(new()
    {
        AllowAutoRedirect = false, HandleCookies = false, BaseAddress = factory.ClientOptions.BaseAddress,
    });
    public AuthServiceFactory Factory => factory;

    public static string NewEmail(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}@example.com";

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Http.PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> SignupAsync(string email, string password = DefaultPassword, string? displayName = null) =>
        PostJsonAsync("/auth/signup", new { email, password, displayName });

    /// <summary>
    /// The newest emails for <paramref name="to"/> from the dev mailbox, once the outbox has rendered
    /// every mail to that address that is due (links are minted when a mail is sent, so a mail queued
    /// a moment ago is not in the mailbox yet). Mails deferred by the per-address throttle are not due.
    /// </summary>
    public async Task<JsonElement[]> EmailsAsync(string to)
    {
        await WaitForRenderedAsync(to);
        var emails = await Http.GetFromJsonAsync<JsonElement[]>($"/dev/emails?to={Uri.EscapeDataString(to)}");
        return emails!;
    }

    /// <summary>Waits until no outbox row to <paramref name="to"/> is due and still unrendered.</summary>
    public async Task WaitForRenderedAsync(string to)
    {
        const string unrendered = """
            SELECT count(*) FROM outbox_emails
            WHERE "to" = @to AND rendered_at IS NULL AND sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= @now AND attempts = 0
            """;
        // Through the service's own data source: no extra connections per test database, and it copes with server restarts.
        var dataSource = factory.Services.GetRequiredService<NpgsqlDataSource>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                await using var db = await dataSource.OpenConnectionAsync();
                if (await db.ExecuteScalarAsync<long>(unrendered, new { to = to.Trim().ToLowerInvariant(), now = factory.Clock.GetUtcNow() }) == 0) return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                // the database is restarting (outage tests): try again
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Mail to {to} was not rendered.");
            await Task.Delay(25);
        }
    }

    /// <summary>Polls the dev mailbox until <paramref name="to"/> has at least <paramref name="count"/> emails.</summary>
    public async Task<JsonElement[]> WaitForEmailsAsync(string to, int count)
    {
        JsonElement[] emails = [];
        await Wait.UntilAsync(async () => (emails = await EmailsAsync(to)).Length >= count, $"{count} email(s) to {to} (has {emails.Length})");
        return emails;
    }

    /// <summary>
    /// Returns once everything queued for after-the-answer work so far has run: the queue is served
    /// in order, so a resend queued now that has mailed proves the earlier items are done.
    /// </summary>
    public async Task WaitForBackgroundWorkAsync()
    {
        var barrier = NewEmail("barrier");
        (await SignupAsync(barrier)).EnsureSuccessStatusCode();
        (await PostJsonAsync("/auth/resend-verification", new { email = barrier })).EnsureSuccessStatusCode();
        await WaitForEmailsAsync(barrier, 2);
    }

    /// <summary>The token of the newest email to <paramref name="to"/> that links to <paramref name="page"/>.</summary>
    public async Task<string> TokenFromEmailAsync(string to, string page = "verify-email")
    {
        foreach (var email in await EmailsAsync(to))
        {
            var match = Regex.Match(email.GetProperty("text").GetString()!, $@"/{page}\?token=([A-Za-z0-9_\-]+)");
            if (match.Success) return match.Groups[1].Value;
        }
        throw new InvalidOperationException($"No {page} email for {to}.");
    }

    public Task<string> CreateVerifiedUserAsync(string? email = null, string password = DefaultPassword) =>
        CreateVerifiedUserAsync(Http, email, password);

    /// <summary>
    /// The one verified-user helper: signs up and verifies a user through <paramref name="http"/> (any
    /// base address, e.g. a Kestrel socket or another process), taking the link from the dev mailbox;
    /// the link is minted when the outbox dispatcher renders the mail, a moment after the signup.
    /// </summary>
    public static async Task<string> CreateVerifiedUserAsync(HttpClient http, string? email = null, string password = DefaultPassword)
    {
        email ??= NewEmail();
        var signup = await http.PostAsJsonAsync("/auth/signup", new { email, password });
        Assert.Equal(HttpStatusCode.Accepted, signup.StatusCode);
        var token = await Wait.ForAsync(async () =>
        {
            var emails = await http.GetFromJsonAsync<JsonElement[]>($"/dev/emails?to={Uri.EscapeDataString(email)}");
            return emails!.Select(e => Regex.Match(e.GetProperty("text").GetString()!, @"/verify-email\?token=([A-Za-z0-9_\-]+)"))
                .FirstOrDefault(m => m.Success)?.Groups[1].Value;
        }, $"a verification mail for {email}");
        var verify = await http.PostAsJsonAsync("/auth/verify-email", new { token });
        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        return email;
    }

    public Task<HttpResponseMessage> SigninRawAsync(string email, string password = DefaultPassword) =>
        PostJsonAsync("/auth/signin", new { email, password });

    public async Task<SignedIn> SigninAsync(string email, string password = DefaultPassword)
    {
        var response = await SigninRawAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadSignedInAsync(response);
    }

    public async Task<SignedIn> SignupAndSigninAsync() => await SigninAsync(await CreateVerifiedUserAsync());

    public Task<HttpResponseMessage> RefreshAsync(string? refreshToken, string? origin = null, bool csrfHeader = true) =>
        CookieRequestAsync("/auth/refresh", refreshToken, origin, csrfHeader);

    public Task<HttpResponseMessage> LogoutAsync(string? refreshToken, bool csrfHeader = true) =>
        CookieRequestAsync("/auth/logout", refreshToken, null, csrfHeader);

    public Task<HttpResponseMessage> GetWithBearerAsync(string path, string accessToken) =>
        SendWithBearerAsync(HttpMethod.Get, path, accessToken);

    public Task<HttpResponseMessage> SendWithBearerAsync(HttpMethod method, string path, string accessToken, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", accessToken);
        if (body is not null) request.Content = JsonContent.Create(body);
        return Http.SendAsync(request);
    }

    public static async Task<SignedIn> ReadSignedInAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return new SignedIn(body.GetProperty("accessToken").GetString()!, RefreshCookieValue(response)!, body);
    }

    /// <summary>The refresh cookie's value as set by <paramref name="response"/>, or null when it sets none.</summary>
    public static string? RefreshCookieValue(HttpResponseMessage response) =>
        RefreshSetCookie(response) is { } header ? CookieValue().Match(header).Groups[1].Value : null;

    public static string? RefreshSetCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith(CookieName + "=", StringComparison.Ordinal)) : null;

    public NpgsqlConnection OpenDatabase()
    {
        var conn = new NpgsqlConnection(factory.ConnectionString);
        conn.Open();
        return conn;
    }

    private Task<HttpResponseMessage> CookieRequestAsync(string path, string? refreshToken, string? origin, bool csrfHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (refreshToken is not null) request.Headers.Add("Cookie", $"{CookieName}={refreshToken}");
        if (csrfHeader) request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        if (origin is not null) request.Headers.Add("Origin", origin);
        return Http.SendAsync(request);
    }

    [GeneratedRegex(@"^[^=]+=([^;]*)")]
    private static partial Regex CookieValue();
}
