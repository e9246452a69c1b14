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

    /// <summary>Starts the service (creating a client starts the host) and returns every message of the failure.</summary>
    private static async Task<string> StartupFailureAsync(Dictionary<string, string?> settings)
    {
        var factory = new AuthServiceFactory(UnreachableDatabase, settings);
        try
        {
            var exception = Record.Exception(() => factory.CreateClient());
            Assert.True(exception is not null, "The service started despite the bad settings.");
            // What an operator sees: the exception, and what the host logged as it failed. (The test
            // host sometimes surfaces only an ObjectDisposedException of its own, racing the failed
            // start; the host's log still carries the real failure.)
            return string.Join(" | ", Flatten(exception).Select(e => $"{e.GetType().Name}: {e.Message}").Concat(factory.Logs.Lines));
        }
        finally
        {
            try { await factory.DisposeAsync(); } catch { /* a host that never started may not dispose cleanly */ }
        }
    }

    private static IEnumerable<Exception> Flatten(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                    yield return inner;
        }
    }
}
