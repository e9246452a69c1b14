using System.Net;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Telemetry;

namespace AuthService.Tests.Passkeys;

/// <summary>auth.signin.attempts: a passkey signin counts as outcome <c>passkey</c>, a refused one as <c>invalid_credentials</c>.</summary>
public sealed class PasskeyTelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task PasskeySignins_AreCountedByOutcome()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        using var authenticator = new SoftwareAuthenticator("app.test", AuthServiceFactory.AllowedOrigin);
        Assert.Equal(HttpStatusCode.Created, (await PasskeyTests.RegisterAsync(client, signedIn.AccessToken, authenticator)).StatusCode);
        var passkeyBefore = fixture.Capture.Sum("auth.signin.attempts", "outcome", "passkey");
        var invalidBefore = fixture.Capture.Sum("auth.signin.attempts", "outcome", "invalid_credentials");
        var succeededBefore = fixture.Capture.Sum("auth.signin.attempts", "outcome", "succeeded");

        Assert.Equal(HttpStatusCode.OK, (await PasskeyTests.SigninAsync(client, authenticator)).StatusCode);
        var (challengeId, options) = await PasskeyTests.SigninOptionsAsync(client);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostJsonAsync("/auth/passkeys/signin",
            new { challengeId, credential = authenticator.Get(options, origin: "https://evil.test") })).StatusCode);

        Assert.Equal(passkeyBefore + 1, fixture.Capture.Sum("auth.signin.attempts", "outcome", "passkey"));
        Assert.Equal(invalidBefore + 1, fixture.Capture.Sum("auth.signin.attempts", "outcome", "invalid_credentials"));
        Assert.Equal(succeededBefore, fixture.Capture.Sum("auth.signin.attempts", "outcome", "succeeded"));
    }
}
