using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>The sections once read without validation (RateLimits, the JWKS max-age) stop a bad start naming the key.</summary>
public sealed class ValidatedOptionsTests
{
    // Never reached when validation works; if it does not, the host starts and keeps waiting here.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=unused;Timeout=1";

    [Theory]
    [InlineData("RateLimits:PermitLimit", "0")]
    [InlineData("RateLimits:Window", "00:00:00")]
    [InlineData("RateLimits:TrustedProxies:0", "not-an-address")]
    [InlineData("RateLimits:TrustedProxies:0", "10.0.0.0/99")]
    public async Task Startup_WithBadRateLimits_FailsNamingTheKey(string key, string value)
    {
        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, new Dictionary<string, string?> { [key] = value });
        Assert.Contains(key.Split(':')[0] + ":" + key.Split(':')[1], message);
    }

    [Theory]
    [InlineData("02:00:00")] // longer than the default PublishLead (1 h)
    [InlineData("00:00:00")]
    public async Task Startup_WithBadJwksMaxAge_FailsNamingIt(string maxAge)
    {
        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase,
            new Dictionary<string, string?> { ["Auth:SigningKeys:JwksMaxAge"] = maxAge });
        Assert.Contains("Auth:SigningKeys:JwksMaxAge", message);
    }
}
