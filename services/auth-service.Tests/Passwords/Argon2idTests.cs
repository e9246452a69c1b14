using System.Text.RegularExpressions;
using AuthService.Options;
using AuthService.Passwords;

namespace AuthService.Tests.Passwords;

public sealed class Argon2idTests
{
    private const string Password = "a perfectly fine passphrase 42";

    private static Argon2id Hasher(Action<PasswordOptions>? configure = null)
    {
        var options = new AuthOptions();
        configure?.Invoke(options.Password);
        return new Argon2id(Microsoft.Extensions.Options.Options.Create(options));
    }

    [Fact]
    public async Task HashThenVerify_RoundTrips()
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(Password);
        Assert.True(await hasher.VerifyAsync(hash, Password));
    }

    [Theory]
    [InlineData("a perfectly fine passphrase 43")]
    [InlineData("A perfectly fine passphrase 42")]
    [InlineData("a perfectly fine passphrase 42 ")]
    [InlineData("")]
    public async Task Verify_WrongPassword_Fails(string wrong)
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(Password);
        Assert.False(await hasher.VerifyAsync(hash, wrong));
    }

    [Fact]
    public async Task Hash_IsPhcArgon2id_WithDefaultParameters()
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(Password);
        Assert.StartsWith("$argon2id$", hash);
        Assert.Matches(new Regex(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"), hash);
        Assert.DoesNotContain(Password, hash);
    }

    [Fact]
    public async Task Hash_IsSalted_SamePasswordGivesDifferentHashes()
    {
        using var hasher = Hasher();
        var first = await hasher.HashAsync(Password);
        var second = await hasher.HashAsync(Password);
        Assert.NotEqual(first, second);
        Assert.True(await hasher.VerifyAsync(second, Password));
    }

    [Fact]
    public async Task NeedsRehash_FalseForSameParameters()
    {
        using var hasher = Hasher();
        Assert.False(hasher.NeedsRehash(await hasher.HashAsync(Password)));
    }

    [Fact]
    public async Task NeedsRehash_TrueWhenConfiguredWithMoreIterations()
    {
        using var current = Hasher();
        using var stronger = Hasher(p => p.HashIterations = 3);
        var hash = await current.HashAsync(Password);
        Assert.True(stronger.NeedsRehash(hash));
    }

    [Fact]
    public async Task NeedsRehash_TrueWhenConfiguredWithMoreMemory()
    {
        using var current = Hasher();
        using var stronger = Hasher(p => p.HashMemoryKiB = 32 * 1024);
        var hash = await current.HashAsync(Password);
        Assert.True(stronger.NeedsRehash(hash));
    }

    [Fact]
    public async Task HashWithOtherParameters_StillVerifies_AndIsFlaggedForRehash()
    {
        using var stronger = Hasher(p => p.HashIterations = 3);
        using var current = Hasher();
        var hash = await stronger.HashAsync(Password);
        Assert.Contains("$m=19456,t=3,p=1$", hash);
        Assert.True(await current.VerifyAsync(hash, Password));
        Assert.True(current.NeedsRehash(hash));
        Assert.False(stronger.NeedsRehash(hash));
    }

    [Theory]
    [InlineData("pässwörd ünïcödé ✓")]
    [InlineData("密码安全很重要但是要足够长")]
    [InlineData("emoji \U0001F600\U0001F389 passphrase")]
    public async Task UnicodePassword_RoundTrips(string password)
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(password);
        Assert.True(await hasher.VerifyAsync(hash, password));
        Assert.False(await hasher.VerifyAsync(hash, password + "x"));
    }

    [Fact]
    public async Task Verify_GarbageHash_IsFalse_NotAnException()
    {
        using var hasher = Hasher();
        Assert.False(await hasher.VerifyAsync("not a phc string", Password));
        Assert.False(await hasher.VerifyAsync("$argon2id$v=19$m=19456,t=2,p=1$AAAA$BBBB", Password));
    }

    /// <summary>
    /// A refused password costs a known account what it costs an unknown one (the decoy), also for a password NFKC
    /// changes, which a known account checks twice (NFKC form, then as typed for imported hashes): counted, not timed.
    /// </summary>
    [Theory]
    [InlineData("a wrong passphrase, plain ascii")]
    [InlineData("ａ ｗｒｏｎｇ ｆｕｌｌｗｉｄｔｈ ｐａｓｓｐｈｒａｓｅ")]
    [InlineData("a wrong ﬁle passphrase with a ligature")]
    public async Task FailedCheck_OfAKnownAccount_SpendsWhatTheDecoySpends(string wrong)
    {
        using var hasher = Hasher();
        var hash = await hasher.HashAsync(Password);

        var before = hasher.Verifications;
        Assert.Equal(PasswordCheck.Failed, await hasher.CheckAsync(hash, wrong));
        var known = hasher.Verifications - before;
        before = hasher.Verifications;
        await hasher.VerifyDecoyAsync(wrong);
        var unknown = hasher.Verifications - before;

        Assert.Equal(known, unknown);
        Assert.Equal(wrong.Normalize(System.Text.NormalizationForm.FormKC) == wrong ? 1 : 2, known);
    }
}
