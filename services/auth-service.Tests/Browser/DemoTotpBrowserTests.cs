using AuthService.Tests.Infrastructure;
using AuthService.Tests.Mfa;
using Dapper;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace AuthService.Tests.Browser;

/// <summary>
/// The demo page's second factors in Chromium: enrol an authenticator app (the QR code shown, the secret read from the
/// page, codes computed by the tests' own RFC 6238), sign out, sign in with a code, sign out, sign in with a recovery code.
/// </summary>
[Trait("Category", "Browser")]
public sealed class DemoTotpBrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private IBrowserContext context = null!;

    public async Task InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync();
        context.SetDefaultTimeout(15_000);
    }

    public async Task DisposeAsync() => await context.CloseAsync();

    private TestClock Clock => fixture.Factory.Clock;

    [Fact]
    public async Task DemoPage_EnrolsTotp_ThenSignsInWithACode_AndWithARecoveryCode()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http, AuthClient.NewEmail("demo-totp"));
        var page = await context.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy")) violations.Add(message.Text); };
        Assert.Equal(200, (await page.GotoAsync(fixture.Origin + "/demo/", new() { WaitUntil = WaitUntilState.NetworkIdle }))!.Status);

        await SignInWithPasswordAsync(page, email);
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#totp-state")).ToHaveTextAsync("Two-step verification is off.");

        // Enrol: the QR code is drawn (inline SVG), the secret is on the page.
        await page.ClickAsync("#totp-setup-button");
        await Expect(page.Locator("#totp-qr svg")).ToBeVisibleAsync();
        var box = await page.Locator("#totp-qr svg").BoundingBoxAsync();
        Assert.True(box is { Width: >= 150, Height: >= 150 }, "the QR code is drawn large enough to scan");
        var secret = Rfc6238.Base32Decode((await page.Locator("#totp-secret").TextContentAsync())!);
        Assert.Equal(20, secret.Length);
        await Screenshots.SaveAsync(page, "demo-totp-enrol.png");

        await page.FillAsync("#totp-confirm-code", Rfc6238.Code(secret, Clock.GetUtcNow()));
        await page.ClickAsync("#totp-confirm-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Two-step verification is on");
        await Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(10);
        await Expect(page.Locator("#totp-state")).ToHaveTextAsync("Two-step verification is on.");
        var recoveryCodes = await page.Locator("#recovery-codes li").AllTextContentsAsync();
        await Screenshots.SaveAsync(page, "demo-totp-recovery-codes.png");

        // Sign out; sign in with the password and a code of the next step.
        await page.ClickAsync("#logout-button");
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        await Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(0); // shown once
        await SignInWithPasswordAsync(page, email);
        await Expect(page.Locator("#mfa-signin")).ToBeVisibleAsync();
        await Expect(page.Locator("#signed-in")).ToBeHiddenAsync();
        MfaKit.NextStep(Clock);
        await page.FillAsync("#mfa-code", Rfc6238.Code(secret, Clock.GetUtcNow()));
        await page.ClickAsync("#mfa-form button[type=submit]");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed in with a second factor");
        await Expect(page.Locator("#user-email")).ToHaveTextAsync(email);
        await Expect(page.Locator("#mfa-signin")).ToBeHiddenAsync();
        Assert.Equal(["pwd", "otp", "mfa"], await NewestSessionAmrAsync(email));
        await Screenshots.SaveAsync(page, "demo-signed-in-with-totp.png");

        // Sign out; sign in with a recovery code.
        await page.ClickAsync("#logout-button");
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        await SignInWithPasswordAsync(page, email);
        await Expect(page.Locator("#mfa-signin")).ToBeVisibleAsync();
        await page.ClickAsync("#mfa-recovery summary");
        await page.FillAsync("#mfa-recovery-code", recoveryCodes[0]);
        await page.ClickAsync("#mfa-recovery-form button[type=submit]");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed in with a second factor");
        Assert.Equal(2, await SessionCountAsync(email, "{pwd,otp,mfa}"));
        await Screenshots.SaveAsync(page, "demo-signed-in-with-recovery-code.png");

        // The same recovery code a second time is refused on the page.
        await page.ClickAsync("#logout-button");
        await SignInWithPasswordAsync(page, email);
        await page.ClickAsync("#mfa-recovery summary");
        await page.FillAsync("#mfa-recovery-code", recoveryCodes[0]);
        await page.ClickAsync("#mfa-recovery-form button[type=submit]");
        await Expect(page.Locator("#status")).ToHaveTextAsync("mfa_invalid: The second-factor code or MFA token is not valid");
        await Expect(page.Locator("#signed-in")).ToBeHiddenAsync();
        Assert.Empty(violations);
    }

    private static async Task SignInWithPasswordAsync(IPage page, string email)
    {
        await page.FillAsync("#signin-email", email);
        await page.FillAsync("#signin-password", AuthClient.DefaultPassword);
        await page.ClickAsync("#signin-form button[type=submit]");
    }

    private async Task<string[]> NewestSessionAmrAsync(string email)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<string[]>(
            "SELECT s.amr FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email ORDER BY s.created_at DESC LIMIT 1", new { email });
    }

    private async Task<long> SessionCountAsync(string email, string amr)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<long>(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email AND s.amr = @amr::text[]", new { email, amr });
    }
}
