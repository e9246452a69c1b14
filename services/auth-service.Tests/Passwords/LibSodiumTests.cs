using System.Net;
using System.Net.Http.Json;
using AuthService.Options;
using AuthService.Passwords;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Passwords;

/// <summary>
/// libsodium comes from the libsodium NuGet package (runtimes/&lt;rid&gt;/native/ beside the app), not
/// from the machine; and hashes made before the switch (Debian's libsodium23, 1.0.18) keep verifying.
/// </summary>
public sealed class LibSodiumTests
{
    // Made by the service's code before the switch (crypto_pwhash_str of Debian's libsodium 1.0.18,
    // t=2, m=19 MiB) from the NFKC form of Password: "① ﬁ" became "1 fi".
    private const string Password = "correct horse battery staple \u2460 \ufb01";
    private const string HashFromAptLibsodium =
        "$argon2id$v=19$m=19456,t=2,p=1$e6pgPpH420CVeDNmID8rzA$vK3ALAyqfTjers76lQKZf0X/woMdgBBLZsoYv/xkpvQ";

    private static Argon2id Hasher() => new(Microsoft.Extensions.Options.Options.Create(new AuthOptions()));

    [Fact]
    public async Task HashFromBeforeTheSwitch_StillVerifies_AndNeedsNoRehash()
    {
        using var hasher = Hasher();
        Assert.True(await hasher.VerifyAsync(HashFromAptLibsodium, Password));
        Assert.True(await hasher.VerifyAsync(HashFromAptLibsodium, "correct horse battery staple 1 fi"));
        Assert.False(await hasher.VerifyAsync(HashFromAptLibsodium, "correct horse battery staple 1 f"));
        Assert.False(hasher.NeedsRehash(HashFromAptLibsodium));
    }

    [Fact]
    public async Task NewHashes_KeepTheExactPhcFormat()
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(Password);
        Assert.Matches(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", hash);
        Assert.Equal(HashFromAptLibsodium.Length, hash.Length);
    }

    [Fact]
    public void TestHost_LoadsLibsodiumFromTheAppsRuntimesFolder()
    {
        using var _ = Hasher(); // loads libsodium
        var loaded = LoadedLibsodium(Environment.ProcessId);
        var expected = Path.Combine(AppContext.BaseDirectory, "runtimes");
        Assert.True(loaded.All(p => p.StartsWith(expected, StringComparison.Ordinal)),
            $"libsodium loaded from {string.Join(", ", loaded)}, expected under {expected}");
    }

    /// <summary>The paths of every libsodium mapped into a process (Linux: /proc/PID/maps); at least one.</summary>
    internal static string[] LoadedLibsodium(int pid)
    {
        var paths = File.ReadLines($"/proc/{pid}/maps")
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 6 && Path.GetFileName(f[5]).StartsWith("libsodium", StringComparison.Ordinal))
            .Select(f => f[5]).Distinct().ToArray();
        Assert.NotEmpty(paths);
        return paths;
    }
}

/// <summary>The published service (as the image runs it) loads the libsodium it was published with.</summary>
[Trait("Category", PublishedService.Category)]
public sealed class PublishedBuildLibSodiumTests(PublishedServiceFixture fixture) : IClassFixture<PublishedServiceFixture>
{
    [Fact]
    public async Task PublishedService_LoadsLibsodiumFromItsPublishFolder()
    {
        // A signup hashes a password, so libsodium is loaded whenever the service was lazy about it.
        var signup = await fixture.Http.PostAsJsonAsync("/auth/signup", new { email = AuthClient.NewEmail("sodium"), password = AuthClient.DefaultPassword });
        Assert.Equal(HttpStatusCode.Accepted, signup.StatusCode);

        var publishDir = Path.GetFullPath(await PublishedService.PublishDirectoryAsync());
        var loaded = LibSodiumTests.LoadedLibsodium(fixture.Service.ProcessId);
        // The publish is for one runtime identifier (Native AOT), so the package's runtimes/<rid>/native/
        // file lands in the publish folder itself; what matters is that it is not the machine's.
        var expected = publishDir.TrimEnd('/') + "/";
        Assert.True(loaded.All(p => p.StartsWith(expected, StringComparison.Ordinal)),
            $"libsodium loaded from {string.Join(", ", loaded)}, expected under {expected}");
    }
}
