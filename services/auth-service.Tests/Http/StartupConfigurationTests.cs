using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>Bad settings stop the service at startup with a message that names the key (ARCHITECTURE.md, "Configuration").</summary>
public sealed class StartupConfigurationTests
{
    // Never reached when validation works; if it does not, the host starts and keeps waiting here.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=unused;Timeout=1";

    [Fact]
    public async Task Startup_WithoutIssuer_FailsNamingAuthIssuer()
    {
        var message = await StartupFailureAsync(new() { ["Auth:Issuer"] = "" });

        Assert.Contains("Auth:Issuer", message);
    }

    [Fact]
    public async Task Startup_WithRelativeIssuer_FailsNamingAuthIssuer()
    {
        var message = await StartupFailureAsync(new() { ["Auth:Issuer"] = "auth.test" });

        Assert.Contains("Auth:Issuer", message);
    }

    [Theory]
    [InlineData("not-base64")]
    [InlineData("c2hvcnQ=")] // base64, but 5 bytes
    public async Task Startup_WithBadKeyEncryptionKey_FailsNamingIt(string kek)
    {
        var message = await StartupFailureAsync(new() { ["Auth:KeyEncryptionKey"] = kek });

        Assert.Contains("Auth:KeyEncryptionKey", message);
    }

    [Fact]
    public async Task Startup_WithoutKeyEncryptionKey_FailsOutsideDevelopment()
    {
        var message = await StartupFailureAsync(new() { ["Auth:KeyEncryptionKey"] = "" });

        Assert.Contains("Auth:KeyEncryptionKey", message);
    }

    [Fact]
    public async Task Startup_WithoutConnectionString_FailsNamingIt()
    {
        var message = await StartupFailureAsync(new() { ["ConnectionStrings:Postgres"] = "" });

        Assert.Contains("ConnectionStrings:Postgres", message);
    }

    [Fact]
    public async Task Startup_WithSeveralBadSettings_NamesThemAllAtOnce()
    {
        var message = await StartupFailureAsync(new()
        {
            ["Auth:Issuer"] = "",
            ["Auth:KeyEncryptionKey"] = "not-base64",
            ["Auth:AccessTokenLifetime"] = "-00:01:00",
        });

        Assert.Contains("Auth:Issuer", message);
        Assert.Contains("Auth:KeyEncryptionKey", message);
        Assert.Contains("Auth:AccessTokenLifetime", message);
    }

    private static Task<string> StartupFailureAsync(Dictionary<string, string?> settings) =>
        AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, settings);
}
