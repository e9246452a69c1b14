using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace AuthService.Tests.Browser;

/// <summary>
/// Passkeys proven in Chromium: a CDP virtual authenticator (CTAP2, internal, resident keys, user verification) stands in
/// for the device, and the demo page does what a real SPA would with navigator.credentials.
/// </summary>
[Trait("Category", "Browser")]
public sealed class PasskeyBrowserTests(PasskeyBrowserFixture fixture) : IClassFixture<PasskeyBrowserFixture>, IAsyncLifetime
{
    private IBrowserContext context = null!;

    public async Task InitializeAsync()
    {
        context = await fixture.Browser.NewContextAsync();
        context.SetDefaultTimeout(15_000);
    }

    public async Task DisposeAsync() => await context.CloseAsync();

    [Fact]
    public async Task DemoPage_AddsAPasskey_SignsInWithIt_AndRemovesIt_WhileAForeignOriginsAssertionIsRefused()
    {
        var email = await AuthClient.CreateVerifiedUserAsync(fixture.Http);
        var page = await context.NewPageAsync();
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        var added = await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });
        var authenticatorId = added!.Value.GetProperty("authenticatorId").GetString()!;

        Assert.Equal(200, (await page.GotoAsync(fixture.Origin + "/demo/", new() { WaitUntil = WaitUntilState.NetworkIdle }))!.Status);
        await page.FillAsync("#signin-email", email);
        await page.FillAsync("#signin-password", AuthClient.DefaultPassword);
        await page.ClickAsync("#signin-form button[type=submit]");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#passkeys-empty")).ToBeVisibleAsync();

        // Add: navigator.credentials.create with the service's options, the attestation back to the service.
        await page.FillAsync("#passkey-name", "Test laptop");
        await page.ClickAsync("#passkey-add-button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Passkey added: Test laptop");
        await Expect(page.Locator("#passkey-list .passkey-name")).ToHaveTextAsync(["Test laptop"]);
        await Expect(page.Locator("#passkeys-empty")).ToBeHiddenAsync();
        await Screenshots.SaveAsync(page, "demo-passkey-added.png");

        var credentials = (await cdp.SendAsync("WebAuthn.getCredentials", new Dictionary<string, object> { ["authenticatorId"] = authenticatorId }))!
            .Value.GetProperty("credentials").EnumerateArray().ToList();
        var credential = Assert.Single(credentials);
        Assert.True(credential.GetProperty("isResidentCredential").GetBoolean(), "a discoverable credential");
        Assert.Equal(PasskeyBrowserFixture.RpId, credential.GetProperty("rpId").GetString());
        var (passkeyId, _, count) = await PasskeyAsync(email);
        Assert.Equal(1, count);

        // Sign out, then back in with the passkey alone.
        await page.ClickAsync("#logout-button");
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        await page.ClickAsync("#passkey-signin-button");
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed in with a passkey");
        await Expect(page.Locator("#user-email")).ToHaveTextAsync(email);
        await page.ClickAsync("#me-button");
        await Expect(page.Locator("#me-output")).ToContainTextAsync(email);
        var me = JsonSerializer.Deserialize<JsonElement>(await page.Locator("#me-output").TextContentAsync() ?? "");
        Assert.Equal(1, me.GetProperty("mfa").GetProperty("passkeys").GetInt32());
        await Expect(page.Locator("#passkey-list .passkey-name")).ToHaveTextAsync(["Test laptop"]);
        await Screenshots.SaveAsync(page, "demo-signed-in-with-passkey.png");
        Assert.Equal(["hwk", "user", "mfa"], await LiveSessionAmrAsync(email)); // the password session was logged out
        var (_, counterAfterSignin, _) = await PasskeyAsync(email);
        Assert.True(counterAfterSignin > 0, "the virtual authenticator counts, and the service stored its counter");

        // A page on another origin gets an assertion from the same authenticator (the RP id fits its host too), and
        // hands it to the service: its clientDataJSON names that origin, which is not allowed: refused.
        Assert.Equal(200, (await page.GotoAsync(fixture.EvilOrigin + "/"))!.Status);
        var options = await (await fixture.Http.PostAsync("/auth/passkeys/signin/options", null)).Content.ReadFromJsonAsync<JsonElement>();
        var assertion = await page.EvaluateAsync<JsonElement>(AssertionScript, options.GetProperty("options").GetRawText());
        var clientData = JsonSerializer.Deserialize<JsonElement>(Jwt.Unb64(assertion.GetProperty("response").GetProperty("clientDataJSON").GetString()!));
        Assert.Equal(fixture.EvilOrigin, clientData.GetProperty("origin").GetString());
        var logFrom = fixture.Factory.Logs.Lines.Count;
        var foreign = await fixture.Http.PostAsJsonAsync("/auth/passkeys/signin",
            new { challengeId = options.GetProperty("challengeId").GetString(), credential = assertion });
        await ProblemAssert.IsProblemAsync(foreign, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Contains(fixture.Factory.Logs.Lines.Skip(logFrom), l => l.Contains("Passkey signin refused", StringComparison.Ordinal)
                                                                      && l.Contains("origin", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(counterAfterSignin, (await PasskeyAsync(email)).SignCount);

        // Back on the demo (the session comes back through the refresh cookie): remove the passkey.
        await page.GotoAsync(fixture.Origin + "/demo/", new() { WaitUntil = WaitUntilState.NetworkIdle });
        await Expect(page.Locator("#signed-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#passkey-list .passkey-name")).ToHaveTextAsync(["Test laptop"]);
        await page.ClickAsync("#passkey-list .passkey-delete");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Passkey removed");
        await Expect(page.Locator("#passkeys-empty")).ToBeVisibleAsync();
        await Expect(page.Locator("#passkey-list li")).ToHaveCountAsync(0);
        Assert.Equal(0, (await PasskeyAsync(email)).Count);
        Assert.NotEqual(Guid.Empty, passkeyId);

        // The authenticator still holds the credential, but the service no longer knows it.
        await page.ClickAsync("#logout-button");
        await page.ClickAsync("#passkey-signin-button");
        await Expect(page.Locator("#status")).ToHaveTextAsync("invalid_credentials: The passkey was not accepted");
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
    }

    /// <summary>navigator.credentials.get on whatever page is open, with the service's JSON options; the credential as JSON.</summary>
    private const string AssertionScript = """
        async (json) => {
          const options = JSON.parse(json);
          const toBuffer = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
          const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
          const credential = await navigator.credentials.get({ publicKey: { ...options, challenge: toBuffer(options.challenge), allowCredentials: [] } });
          const r = credential.response;
          return { id: credential.id, rawId: b64(credential.rawId), type: credential.type, clientExtensionResults: {},
            response: { authenticatorData: b64(r.authenticatorData), clientDataJSON: b64(r.clientDataJSON), signature: b64(r.signature),
              userHandle: b64(r.userHandle) } };
        }
        """;

    private async Task<(Guid Id, long SignCount, long Count)> PasskeyAsync(string email)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<(Guid, long, long)>("""
            SELECT coalesce((SELECT p.id FROM passkeys p WHERE p.user_id = u.id LIMIT 1), '00000000-0000-0000-0000-000000000000'::uuid),
                   coalesce((SELECT p.sign_count FROM passkeys p WHERE p.user_id = u.id LIMIT 1), 0),
                   u.passkey_count::bigint
            FROM users u WHERE u.email = @email
            """, new { email });
    }

    private async Task<string[]> LiveSessionAmrAsync(string email)
    {
        await using var conn = new NpgsqlConnection(fixture.Factory.ConnectionString);
        return await conn.QuerySingleAsync<string[]>(
            "SELECT s.amr FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email AND s.revoked_at IS NULL", new { email });
    }
}
