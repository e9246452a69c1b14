using Microsoft.Playwright;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium (Playwright cannot download its own browser here), headless, without the background
/// traffic to Google's hosts that this machine's closed network refuses.
/// </summary>
public static class HeadlessChromium
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
}
