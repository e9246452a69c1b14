using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using AuthService.Tests.Abuse;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace AuthService.Tests.Browser;

/// <summary>
/// The service on real Kestrel (http://127.0.0.1:P, cookie without Secure so it works over http,
/// the demo SPA at /demo/, the mailed links' pages), a tiny second server on the same host but other ports (other origins,
/// same site, so the browser does send the SameSite=Strict cookie to the service from there) — one
/// of them listed in Auth:AllowedOrigins, one not — and headless Debian Chromium driven by Playwright.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    /// <summary>The host name of every origin here; the service and the other origins listen on the loopback address.</summary>
    protected virtual string Host => "127.0.0.1";

    /// <summary>Settings a derived fixture adds to (or changes in) the service's.</summary>
    protected virtual void Configure(Dictionary<string, string?> settings)
    {
    }

    public AuthServiceFactory Factory { get; private set; } = null!;
    public string Origin { get; private set; } = "";
    public string EvilOrigin { get; private set; } = "";
    public string FriendOrigin { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    /// <summary>A plain client on the service's socket, for setting up users.</summary>
    public HttpClient Http { get; private set; } = null!;
    private WebApplication? otherOrigins;

    public async Task InitializeAsync()
    {
        var servicePort = FreePort.Next();
        var evilPort = FreePort.Next();
        var friendPort = FreePort.Next();
        Origin = $"http://{Host}:{servicePort}";
        EvilOrigin = $"http://{Host}:{evilPort}";
        FriendOrigin = $"http://{Host}:{friendPort}";

        var settings = new Dictionary<string, string?>
        {
            ["Auth:RefreshCookie:Secure"] = "false",
            ["Auth:AllowedOrigins:0"] = Origin,
            ["Auth:AllowedOrigins:1"] = FriendOrigin,
            // The service is its own app here: the mailed links lead to it (AppBaseUrl unset), and it serves their pages.
            ["Auth:Issuer"] = Origin,
            ["Auth:AppBaseUrl"] = "",
            ["DevEndpoints:Enabled"] = "true",
            ["Docs:Enabled"] = "true",
            // "Request finished … - 403" lines: what the server answered, even where the browser hides it from the page.
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        };
        Configure(settings);
        Uri baseAddress;
        (Factory, baseAddress) = await AbuseKit.StartOnKestrelAsync(settings, port: servicePort);
        Http = new HttpClient { BaseAddress = baseAddress };

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "OtherOrigins" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, evilPort);
            k.Listen(IPAddress.Loopback, friendPort);
        });
        otherOrigins = builder.Build();
        otherOrigins.MapGet("/", (HttpContext http) => Results.Content(
            $"<!doctype html><meta charset=utf-8><title>page on {http.Request.Host}</title><p>A page from another origin.</p>", "text/html"));
        await otherOrigins.StartAsync();

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await HeadlessChromium.LaunchAsync(Playwright);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (otherOrigins is not null) await otherOrigins.DisposeAsync();
        if (Factory is not null) await Factory.DisposeAsync();
    }
}

[Trait("Category", "Browser")]
public sealed partial class DemoBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string CookieName = "refresh_token"; // Secure switched off for http
    private IBrowserContext context = null!;

    public async Task InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync();
        context.SetDefaultTimeout(15_000);
    }

    public async Task DisposeAsync() => await context.CloseAsync();

    private string Demo => fixture.Origin + "/demo/";

    private async Task<IPage> OpenDemoAsync()
    {
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(Demo, new() { WaitUntil = WaitUntilState.NetworkIdle });
        Assert.Equal(200, response!.Status);
        return page;
    }

    private static async Task SignInThroughUiAsync(IPage page, string email, string password = AuthClient.DefaultPassword)
    {
        await page.FillAsync("#signin-email", email);
        await page.FillAsync("#signin-password", password);
        await page.ClickAsync("#signin-form button[type=submit]");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#user-email")).ToHaveTextAsync(email);
    }

    /// <summary>The user's session: its id, revocation and rotations so far.</summary>
    private async Task<(Guid Id, DateTime? RevokedAt, long Tokens)> SessionAsync(string email)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<(Guid, DateTime?, long)>("""
            SELECT s.id, s.revoked_at, s.generation::bigint
            FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email
            """, new { email });
    }

    [Fact]
    public async Task DemoPage_WholeFlowThroughTheUi_SignupVerifySigninMeLogout()
    {
        var page = await OpenDemoAsync();
        var email = AuthClient.NewEmail("browser");

        await page.FillAsync("#signup-email", email);
        await page.FillAsync("#signup-password", AuthClient.DefaultPassword);
        await page.ClickAsync("#signup-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed up: check the mailbox");

        await page.ClickAsync("#verify-button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Email verified");
        await Expect(page.Locator("#signin-email")).ToHaveValueAsync(email);

        await page.FillAsync("#signin-password", AuthClient.DefaultPassword);
        await page.ClickAsync("#signin-form button[type=submit]");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#user-email")).ToHaveTextAsync(email);
        await Expect(page.Locator("#signed-out")).ToBeHiddenAsync();

        await page.ClickAsync("#me-button");
        await Expect(page.Locator("#me-output")).ToContainTextAsync($"\"email\": \"{email}\"");
        await Expect(page.Locator("#me-output")).ToContainTextAsync("\"emailVerified\": true");

        await Screenshots.SaveAsync(page, "signed-in.png");

        await page.ClickAsync("#logout-button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Logged out");
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        Assert.NotNull((await SessionAsync(email)).RevokedAt);

        // Logged out for good: a reload does not bring the session back.
        await page.ReloadAsync(new() { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        await Expect(page.Locator("#status")).Not.ToHaveTextAsync("Session restored");
    }

    [Fact]
    public async Task DemoPage_StatesTheRule_ShowsFieldErrorsByCode_TakesADisplayName_AndResetsAForgottenPassword()
    {
        const string newPassword = "a reset passphrase for the demo 9";
        var page = await OpenDemoAsync();
        await Expect(page.Locator("#signup-password-rule")).ToHaveTextAsync(new Regex("^At least 15 and at most 128 characters"));
        await Expect(page.Locator("#docs-link")).ToBeVisibleAsync();
        await Expect(page.Locator("#docs-link")).ToHaveAttributeAsync("href", "/docs");

        // Refusals appear at their fields, by code.
        await page.FillAsync("#signup-email", "not an address");
        await page.FillAsync("#signup-password", "short");
        await page.ClickAsync("#signup-form button[type=submit]");
        await Expect(page.Locator("#signup-email-error")).ToContainTextAsync("(invalid_format)");
        await Expect(page.Locator("#signup-password-error")).ToHaveTextAsync("Too short: use at least 15 characters. (too_short)");
        await Expect(page.Locator("#signup-password")).ToHaveAttributeAsync("aria-invalid", "true");

        var email = AuthClient.NewEmail("demo-reset");
        await page.FillAsync("#signup-email", email);
        await page.FillAsync("#signup-displayName", "Ada Lovelace");
        await page.FillAsync("#signup-password", AuthClient.DefaultPassword);
        await page.ClickAsync("#signup-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed up: check the mailbox");
        await Expect(page.Locator("#signup-password-error")).ToBeEmptyAsync();
        await Expect(page.Locator("#signup-password")).ToHaveAttributeAsync("aria-invalid", "false");
        await page.ClickAsync("#verify-button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Email verified");

        // Forgot password: the reset link from the dev mailbox, a refusal at the field, then the new password.
        await page.ClickAsync("#forgot summary");
        await page.FillAsync("#forgot-email", email);
        await page.ClickAsync("#forgot-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Reset requested: check the mailbox");
        await page.ClickAsync("#reset-from-mailbox-button");
        await Expect(page.Locator("#reset-form")).ToBeVisibleAsync();
        await page.FillAsync("#reset-newPassword", "short");
        await page.ClickAsync("#reset-form button[type=submit]");
        await Expect(page.Locator("#reset-newPassword-error")).ToContainTextAsync("(too_short)");
        await page.FillAsync("#reset-newPassword", newPassword);
        await page.ClickAsync("#reset-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Password changed: sign in with the new password");

        await SignInThroughUiAsync(page, email, newPassword);
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Ada Lovelace");
        await Screenshots.SaveAsync(page, "demo-signed-in-after-reset.png");
    }

    [Fact]
    public async Task AfterReload_TheSessionIsRestoredThroughTheRefreshCookie()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        var page = await OpenDemoAsync();
        await SignInThroughUiAsync(page, email);

        var refreshes = new ConcurrentBag<int>();
        page.Response += (_, r) => { if (r.Url.EndsWith("/auth/refresh", StringComparison.Ordinal)) refreshes.Add(r.Status); };
        await page.ReloadAsync(new() { WaitUntil = WaitUntilState.NetworkIdle });

        await Expect(page.Locator("#status")).ToHaveTextAsync("Session restored");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#user-email")).ToHaveTextAsync(email);
        Assert.Equal([200], refreshes.ToArray());
        var meStatus = await page.EvaluateAsync<int>("async () => (await window.demoAuth.api('/auth/me')).status");
        Assert.Equal(200, meStatus);
    }

    [Fact]
    public async Task TheRefreshToken_IsNotVisibleToPageScript()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        var page = await OpenDemoAsync();
        await SignInThroughUiAsync(page, email);

        var cookies = await context.CookiesAsync([fixture.Origin + "/auth/refresh"]);
        var refresh = Assert.Single(cookies, c => c.Name == CookieName);
        Assert.True(refresh.HttpOnly);
        Assert.Equal("/auth", refresh.Path);
        Assert.Equal(SameSiteAttribute.Strict, refresh.SameSite);
        Assert.Equal(65, refresh.Value.Length); // the session id and the secret

        var documentCookie = await page.EvaluateAsync<string>("() => document.cookie");
        Assert.DoesNotContain(CookieName, documentCookie);
        Assert.DoesNotContain(refresh.Value, documentCookie);
        // Nor anywhere else the page's script can look.
        var storage = await page.EvaluateAsync<string>("() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })");
        Assert.DoesNotContain(refresh.Value, storage);
        Assert.DoesNotContain("eyJ", storage); // nor the access token
    }

    [Fact]
    public async Task ConcurrentRefreshCalls_MakeExactlyOneRequest_AndTheSessionStaysValid()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        var page = await OpenDemoAsync();
        await SignInThroughUiAsync(page, email);
        var refreshPosts = 0;
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.EndsWith("/auth/refresh", StringComparison.Ordinal)) Interlocked.Increment(ref refreshPosts);
        };
        var before = await SessionAsync(email);

        var tokens = await page.EvaluateAsync<string[]>(
            "async () => (await Promise.all(Array.from({ length: 25 }, () => window.demoAuth.refresh()))).map(b => b.accessToken)");

        Assert.Equal(1, Volatile.Read(ref refreshPosts));
        Assert.Equal(25, tokens.Length);
        Assert.Single(tokens.Distinct()); // every caller got the one answer
        var after = await SessionAsync(email);
        Assert.Equal(before.Id, after.Id);
        Assert.Null(after.RevokedAt);
        Assert.Equal(before.Tokens + 1, after.Tokens); // rotated exactly once

        // Still valid: the API works and the next refresh rotates normally.
        Assert.Equal(200, await page.EvaluateAsync<int>("async () => (await window.demoAuth.api('/auth/me')).status"));
        await page.EvaluateAsync("() => window.demoAuth.refresh()");
        Assert.Equal(2, Volatile.Read(ref refreshPosts));
        Assert.Null((await SessionAsync(email)).RevokedAt);
    }

    private const string CrossOriginFetch = """
        async ({ url, headers, mode }) => {
          try {
            const r = await fetch(url, { method: 'POST', credentials: 'include', headers, mode });
            if (r.type === 'opaque') return 'opaque';
            return `status:${r.status}:${await r.text()}`;
          } catch (e) {
            return `error:${e.name}`;
          }
        }
        """;

    private static Task<string> FetchFromAsync(IPage page, string url, bool xRequestedWith, string mode = "cors") =>
        page.EvaluateAsync<string>(CrossOriginFetch, new
        {
            url,
            headers = xRequestedWith ? new Dictionary<string, string> { ["X-Requested-With"] = "fetch" } : [],
            mode,
        });

    /// <summary>The service's own account of what it answered to <paramref name="path"/> since log line <paramref name="from"/>.</summary>
    private List<int> ServerStatuses(int from, string path) =>
        fixture.Factory.Logs.Lines.Skip(from)
            .Select(l => RequestFinished().Match(l))
            .Where(m => m.Success && m.Groups["method"].Value == "POST" && new Uri(m.Groups["url"].Value).AbsolutePath == path)
            .Select(m => int.Parse(m.Groups["status"].Value))
            .ToList();

    [GeneratedRegex(@"Request finished \S+ (?<method>[A-Z]+) (?<url>\S+) - (?<status>\d{3})")]
    private static partial Regex RequestFinished();

    [Fact]
    public async Task AnotherOrigin_CannotRefreshOrLogOut_TheAllowedOriginCan()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        var demo = await OpenDemoAsync();
        await SignInThroughUiAsync(demo, email);
        var before = await SessionAsync(email);
        var logFrom = fixture.Factory.Logs.Lines.Count;

        var evil = await context.NewPageAsync();
        await evil.GotoAsync(fixture.EvilOrigin + "/");
        var results = new Dictionary<string, string>();
        foreach (var path in new[] { "/auth/refresh", "/auth/logout" })
        {
            var url = fixture.Origin + path;
            results[$"{path} cors + X-Requested-With"] = await FetchFromAsync(evil, url, xRequestedWith: true);
            results[$"{path} cors"] = await FetchFromAsync(evil, url, xRequestedWith: false);
            results[$"{path} no-cors"] = await FetchFromAsync(evil, url, xRequestedWith: false, mode: "no-cors");
        }
        // A classic cross-site form post, as a top-level navigation.
        var formAnswered = evil.WaitForResponseAsync(r => r.Request.Method == "POST" && r.Url == fixture.Origin + "/auth/logout" && r.Request.IsNavigationRequest);
        await evil.EvaluateAsync($$"""
            () => {
              const form = document.createElement('form');
              form.method = 'POST';
              form.action = '{{fixture.Origin}}/auth/logout';
              document.body.appendChild(form);
              form.submit();
            }
            """);
        var formResponse = await formAnswered;

        // The page learnt nothing: every attempt failed or was opaque.
        Assert.All(results, r => Assert.True(r.Value is "error:TypeError" or "opaque", $"{r.Key}: {r.Value}"));
        // What reached the service was refused as CSRF (the preflighted ones never reached it).
        Assert.Equal(403, formResponse!.Status);
        Assert.Equal("csrf_failed", JsonDocument.Parse(await formResponse.TextAsync()).RootElement.GetProperty("code").GetString());
        var refreshStatuses = ServerStatuses(logFrom, "/auth/refresh");
        var logoutStatuses = ServerStatuses(logFrom, "/auth/logout");
        Assert.NotEmpty(refreshStatuses);
        Assert.NotEmpty(logoutStatuses);
        Assert.All(refreshStatuses.Concat(logoutStatuses), s => Assert.Equal(403, s));

        // The session was neither rotated nor revoked, and still works from the demo page.
        var during = await SessionAsync(email);
        Assert.Null(during.RevokedAt);
        Assert.Equal(before.Tokens, during.Tokens);
        Assert.Equal(200, await demo.EvaluateAsync<int>("async () => { await window.demoAuth.refresh(); return (await window.demoAuth.api('/auth/me')).status; }"));

        // A page from an allowed origin can refresh (and read the answer) and log out.
        var friend = await context.NewPageAsync();
        await friend.GotoAsync(fixture.FriendOrigin + "/");
        var refreshed = await FetchFromAsync(friend, fixture.Origin + "/auth/refresh", xRequestedWith: true);
        Assert.StartsWith("status:200:", refreshed);
        using (var body = JsonDocument.Parse(refreshed["status:200:".Length..]))
        {
            Assert.Equal(email, body.RootElement.GetProperty("user").GetProperty("email").GetString());
            Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("accessToken").GetString()));
        }
        Assert.Equal("status:204:", await FetchFromAsync(friend, fixture.Origin + "/auth/logout", xRequestedWith: true));
        Assert.NotNull((await SessionAsync(email)).RevokedAt);
    }
}
