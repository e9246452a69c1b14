using AuthService.Tests.Abuse;
using AuthService.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AuthService.Tests.Docs;

/// <summary>The service on real Kestrel with <c>Docs:Enabled</c>, and headless Debian Chromium driven by Playwright.</summary>
public sealed class DocsBrowserFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;
    public string Origin { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Uri address;
        (Factory, address) = await AbuseKit.StartOnKestrelAsync(new Dictionary<string, string?>
        {
            ["Docs:Enabled"] = "true",
        }, port: FreePort.Next());
        Origin = address.GetLeftPart(UriPartial.Authority);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await HeadlessChromium.LaunchAsync(Playwright);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
    }
}
