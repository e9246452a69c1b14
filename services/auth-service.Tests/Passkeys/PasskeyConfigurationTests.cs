using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Passkeys;

/// <summary>The relying party's configuration: an RP id browsers would refuse on an allowed origin stops the service, naming the key.</summary>
public sealed class PasskeyConfigurationTests
{
    // Never reached when validation works; if it does not, the host starts and keeps waiting here.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=unused;Timeout=1";

    [Theory]
    [InlineData("example.com")]      // not a suffix of app.test
    [InlineData("pp.test")]          // a suffix of the string, not of the host's labels
    [InlineData("sub.app.test")]     // more specific than the origin
    [InlineData("https://app.test")] // not a host name
    public async Task Startup_WithAnRpIdThatDoesNotFitTheAllowedOrigins_FailsNamingIt(string rpId)
    {
        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, new Dictionary<string, string?> { ["Auth:Passkeys:RpId"] = rpId });

        Assert.Contains("Auth:Passkeys:RpId", message);
    }

    [Fact]
    public async Task Startup_WithAnRpIdOneAllowedOriginDoesNotShare_FailsNamingThatOrigin()
    {
        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, new Dictionary<string, string?>
        {
            ["Auth:Passkeys:RpId"] = "app.test",
            ["Auth:AllowedOrigins:1"] = "https://elsewhere.example",
        });

        Assert.Contains("https://elsewhere.example", message);
    }
}
