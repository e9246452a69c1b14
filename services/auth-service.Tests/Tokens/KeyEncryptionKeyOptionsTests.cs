using AuthService.Options;
using AuthService.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;

namespace AuthService.Tests.Tokens;

/// <summary>
/// <c>Auth:KeyEncryptionKeys</c> as configuration binds it and the validator judges it; the single
/// <c>Auth:KeyEncryptionKey</c> is the list of one (id <c>legacy</c>).
/// </summary>
public sealed class KeyEncryptionKeyOptionsTests
{
    private static readonly string KeyA = TestKeys.NewKek();
    private static readonly string KeyB = TestKeys.NewKek();

    // Never reached when validation works; if it does not, the host starts and keeps waiting here.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=unused;Timeout=1";

    [Fact]
    public void List_BindsInOrder_NewestFirst()
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKeys:0:Id"] = "2025-07", ["Auth:KeyEncryptionKeys:0:Key"] = KeyB,
            ["Auth:KeyEncryptionKeys:1:Id"] = "legacy", ["Auth:KeyEncryptionKeys:1:Key"] = KeyA,
        });

        Assert.Equal([("2025-07", KeyB), ("legacy", KeyA)], options.ConfiguredKeyEncryptionKeys().Select(k => (k.Id, k.Key)));
        Assert.Empty(Errors(options, "Production"));
        Assert.Equal("2025-07", TestKeys.Secrets(options).SealingKeyId);
    }

    [Fact]
    public void SingleKey_IsAOneEntryList_WithIdLegacy()
    {
        var options = Bind(new() { ["Auth:KeyEncryptionKey"] = KeyA });

        Assert.Equal([("legacy", KeyA)], options.ConfiguredKeyEncryptionKeys().Select(k => (k.Id, k.Key)));
        Assert.Empty(Errors(options, "Production"));
    }

    [Fact]
    public void Nothing_IsRefusedOutsideDevelopment_AndTheDevelopmentKeyServesInDevelopment()
    {
        var options = Bind([]);

        var error = Assert.Single(Errors(options, "Production"));
        Assert.Contains("Auth:KeyEncryptionKeys", error);
        Assert.Contains("Auth:KeyEncryptionKey)", error);
        Assert.Single(Errors(options, "Staging"));
        Assert.Empty(Errors(options, "Development"));
        Assert.Equal(["legacy"], TestKeys.Secrets(options).KeyIds);
    }

    [Fact]
    public void BothForms_AreRefused_NamingTheWayToListTheSingleKey()
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKey"] = KeyA,
            ["Auth:KeyEncryptionKeys:0:Id"] = "2025-07", ["Auth:KeyEncryptionKeys:0:Key"] = KeyB,
        });

        var error = Assert.Single(Errors(options, "Production"));
        Assert.Contains("not both", error);
        Assert.Contains("'legacy'", error);
    }

    [Theory]
    [InlineData("c2hvcnQ=")] // base64, but 5 bytes
    [InlineData("not base64!")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 54 bytes
    public void BadKeyLength_IsRefused_NamingTheEntry(string key)
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKeys:0:Id"] = "new", ["Auth:KeyEncryptionKeys:0:Key"] = KeyB,
            ["Auth:KeyEncryptionKeys:1:Id"] = "old", ["Auth:KeyEncryptionKeys:1:Key"] = key,
        });

        var error = Assert.Single(Errors(options, "Production"));
        Assert.Equal("Auth:KeyEncryptionKeys:1:Key must be base64 of exactly 32 bytes.", error);
        Assert.Single(Errors(options, "Development")); // Development forgives a missing key, never a bad one
    }

    [Fact]
    public void DuplicateId_IsRefused_NamingBothEntries()
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKeys:0:Id"] = "k1", ["Auth:KeyEncryptionKeys:0:Key"] = KeyA,
            ["Auth:KeyEncryptionKeys:1:Id"] = "k1", ["Auth:KeyEncryptionKeys:1:Key"] = KeyB,
        });

        var error = Assert.Single(Errors(options, "Production"));
        Assert.Equal("Auth:KeyEncryptionKeys:1:Id 'k1' is already the id of entry 0; ids must be unique.", error);
    }

    [Fact]
    public void DuplicateKey_UnderTwoIds_IsRefused()
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKeys:0:Id"] = "new", ["Auth:KeyEncryptionKeys:0:Key"] = KeyA,
            ["Auth:KeyEncryptionKeys:1:Id"] = "old", ["Auth:KeyEncryptionKeys:1:Key"] = " " + KeyA, // the same bytes, written otherwise
        });

        var error = Assert.Single(Errors(options, "Production"));
        Assert.Equal("Auth:KeyEncryptionKeys:1:Key is the same key as entry 0; each entry needs a key of its own.", error);
    }

    [Theory]
    [InlineData("", "Auth:KeyEncryptionKeys:0:Id is required.")]
    [InlineData("has space", "Auth:KeyEncryptionKeys:0:Id 'has space' may hold only letters, digits, '.', '_' and '-' (at most 64).")]
    [InlineData("ünïcode", "Auth:KeyEncryptionKeys:0:Id 'ünïcode' may hold only letters, digits, '.', '_' and '-' (at most 64).")]
    public void BadId_IsRefused(string id, string expected)
    {
        var options = Bind(new() { ["Auth:KeyEncryptionKeys:0:Id"] = id, ["Auth:KeyEncryptionKeys:0:Key"] = KeyA });

        Assert.Equal([expected], Errors(options, "Production"));
    }

    [Fact]
    public void Errors_AreAllReportedAtOnce_AndNeverQuoteAKey()
    {
        var options = Bind(new()
        {
            ["Auth:KeyEncryptionKeys:0:Id"] = "a", ["Auth:KeyEncryptionKeys:0:Key"] = KeyA,
            ["Auth:KeyEncryptionKeys:1:Id"] = "a", ["Auth:KeyEncryptionKeys:1:Key"] = KeyA,
            ["Auth:KeyEncryptionKeys:2:Id"] = "b", ["Auth:KeyEncryptionKeys:2:Key"] = KeyB[..20],
        });

        var errors = Errors(options, "Production");

        Assert.Equal(3, errors.Count);
        Assert.DoesNotContain(errors, e => e.Contains(KeyA, StringComparison.Ordinal) || e.Contains(KeyB[..20], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Startup_WithDuplicateIds_FailsNamingTheEntry()
    {
        var settings = TestKeys.KeyEncryptionKeySettings(("k1", KeyA), ("k1", KeyB));

        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, settings);

        Assert.Contains("Auth:KeyEncryptionKeys:1:Id 'k1' is already the id of entry 0", message);
    }

    [Fact]
    public async Task Startup_WithBothForms_FailsNamingThem()
    {
        var settings = TestKeys.KeyEncryptionKeySettings(("k1", KeyA));
        settings["Auth:KeyEncryptionKey"] = KeyB;

        var message = await AuthServiceFactory.StartupFailureAsync(UnreachableDatabase, settings);

        Assert.Contains("Set either Auth:KeyEncryptionKeys or Auth:KeyEncryptionKey, not both", message);
    }

    /// <summary>Binds the Auth section the way the service does (configuration binder, then its defaults).</summary>
    private static AuthOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new AuthOptions { Issuer = "https://auth.test" };
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(AuthOptions.Section).Bind(options);
        return options;
    }

    private static List<string> Errors(AuthOptions options, string environment)
    {
        var result = new AuthOptionsValidator(new HostingEnvironment { EnvironmentName = environment }).Validate(null, options);
        return result.Failed ? [.. result.Failures!] : [];
    }
}
