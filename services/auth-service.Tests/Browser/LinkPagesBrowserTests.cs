using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace AuthService.Tests.Browser;

/// <summary>
/// The mailed links opened in Chromium with JavaScript switched off, as a cautious reader's mail client might:
/// the pages work by form posts alone, under their policy (no violation, no request but the page's own).
/// </summary>
[Trait("Category", "Browser")]
public sealed class LinkPagesBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string NewPassword = "another perfectly fine passphrase 7";
    private IBrowserContext context = null!;
    private readonly ConcurrentQueue<string> requests = new();
    private readonly ConcurrentQueue<string> console = new();

    public async Task InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync(new() { JavaScriptEnabled = false });
        context.SetDefaultTimeout(15_000);
        context.Request += (_, r) => requests.Enqueue($"{r.Method} {r.Url}");
        // Everything the browser says but its note of the pages' deliberate 400s: policy violations, DOM advice.
        context.Console += (_, m) =>
        {
            if (!m.Text.StartsWith("Failed to load resource: the server responded with a status of 400", StringComparison.Ordinal)) console.Enqueue(m.Text);
        };
    }

    public async Task DisposeAsync() => await context.CloseAsync();

    /// <summary>The link as the newest mail to <paramref name="to"/> carries it (the outbox renders it a moment after the request).</summary>
    private async Task<string> LinkFromMailAsync(string to, string page) => await Wait.ForAsync(async () =>
    {
        var mails = await fixture.Http.GetFromJsonAsync<System.Text.Json.JsonElement[]>($"/dev/emails?to={Uri.EscapeDataString(to)}");
        return mails!.Select(m => System.Text.RegularExpressions.Regex.Match(m.GetProperty("text").GetString()!, $@"\S+/{page}\?token=[\w-]+"))
            .FirstOrDefault(m => m.Success)?.Value;
    }, $"a {page} mail for {to}");

    private async Task<bool> IsVerifiedAsync(string email)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<bool>("SELECT email_verified_at IS NOT NULL FROM users WHERE email = @email", new { email });
    }

    /// <summary>Every request the pages made went to the service, and the browser reported no policy violation or form advice.</summary>
    private void AssertOnlyOwnRequestsAndNoViolations()
    {
        Assert.All(requests, r => Assert.StartsWith(fixture.Origin + "/", r.Split(' ')[1], StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Contains("favicon", StringComparison.Ordinal));
        Assert.True(console.IsEmpty, "console: " + string.Join("\n", console));
    }

    [Fact]
    public async Task VerifyLink_ShowsAButton_VerifiesOnlyWhenPressed()
    {
        var email = AuthClient.NewEmail("link-page");
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Http.PostAsJsonAsync("/auth/signup", new { email, password = AuthClient.DefaultPassword })).StatusCode);
        var link = await LinkFromMailAsync(email, "verify-email");
        Assert.StartsWith(fixture.Origin + "/verify-email?token=", link);

        var page = await context.NewPageAsync();
        Assert.Equal(200, (await page.GotoAsync(link))!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Verify your email" })).ToBeVisibleAsync();
        Assert.False(await IsVerifiedAsync(email)); // opening the link changed nothing
        await Expect(page.Locator("input[name=username]")).ToBeHiddenAsync(); // there for password managers only
        await Screenshots.SaveAsync(page, "verify-email.png");

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify my email" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Email verified" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{email} is verified. You can sign in now.");
        Assert.True(await IsVerifiedAsync(email));
        await Screenshots.SaveAsync(page, "verify-email-done.png");

        // Back to the link (its page is never cached): it is used up now, and says so.
        await page.GoBackAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("invalid, used or expired");
        AssertOnlyOwnRequestsAndNoViolations();
    }

    [Fact]
    public async Task ResetLink_StatesTheRule_ShowsTheRefusalAtTheField_ThenSetsThePassword()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Http.PostAsJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        var link = await LinkFromMailAsync(email, "reset-password");

        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        var field = page.GetByLabel("New password");
        await Expect(field).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("^At least 15 and at most 128 characters"));
        await field.FillAsync("too short");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(field).ToHaveAccessibleDescriptionAsync(new System.Text.RegularExpressions.Regex("Too short: use at least 15 characters\\."));
        await Screenshots.SaveAsync(page, "reset-password-refused.png");

        await field.FillAsync(NewPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Set new password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password changed" })).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.PostAsJsonAsync("/auth/signin", new { email, password = NewPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await fixture.Http.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword })).StatusCode);
        AssertOnlyOwnRequestsAndNoViolations();
    }
}
