namespace AuthService.Tests.Browser;

/// <summary>
/// <see cref="BrowserFixture"/> on http://localhost: WebAuthn needs a secure context and an RP id that is a domain (Chromium
/// refuses IP addresses), and http://localhost is both. The RP id is set explicitly, as an operator would.
/// </summary>
public sealed class PasskeyBrowserFixture : BrowserFixture
{
    public const string RpId = "localhost";

    protected override string Host => RpId;

    protected override void Configure(Dictionary<string, string?> settings) => settings["Auth:Passkeys:RpId"] = RpId;
}
