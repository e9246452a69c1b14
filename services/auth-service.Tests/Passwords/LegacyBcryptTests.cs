using System.Text;
using AuthService.Options;
using AuthService.Passwords;

namespace AuthService.Tests.Passwords;

/// <summary>
/// bcrypt hashes imported from other systems, verified through <see cref="Argon2id"/> (the service's one
/// hashing queue). Hashes are made here by BCrypt.Net-Next itself, for each minor revision.
/// </summary>
[Trait("Category", "Timing")]
public sealed class LegacyBcryptTests
{
    private const string Password = "an imported passphrase 42";

    private static Argon2id Hasher() => new(Microsoft.Extensions.Options.Options.Create(new AuthOptions()));

    private static string Bcrypt(string password, char revision, int cost = 10) =>
        BCrypt.Net.BCrypt.HashPassword(password, BCrypt.Net.BCrypt.GenerateSalt(cost, revision));

    [Theory]
    [InlineData('a')]
    [InlineData('b')]
    [InlineData('y')]
    public async Task BcryptHash_OfEachRevision_VerifiesAndNeedsRehash(char revision)
    {
        using var hasher = Hasher();
        var hash = Bcrypt(Password, revision);
        Assert.StartsWith($"$2{revision}$10$", hash);

        Assert.True(await hasher.VerifyAsync(hash, Password));
        Assert.False(await hasher.VerifyAsync(hash, Password + "x"));
        Assert.False(await hasher.VerifyAsync(hash, ""));
        Assert.True(hasher.NeedsRehash(hash));
        Assert.Equal("bcrypt", Argon2id.Scheme(hash));
    }

    [Fact]
    public async Task BcryptHash_IsCheckedAgainstThePasswordAsTyped_WithoutNfkc()
    {
        // The old system hashed the bytes it was given; U+FB01 (the "fi" ligature) is "fi" only after NFKC.
        using var hasher = Hasher();
        var hash = Bcrypt("\ufb01ne print 42", 'b');

        Assert.True(await hasher.VerifyAsync(hash, "\ufb01ne print 42"));
        Assert.False(await hasher.VerifyAsync(hash, "fine print 42"));
    }

    [Fact]
    public async Task BcryptHash_UsesOnlyTheFirst72Bytes_AsBcryptAlwaysHas()
    {
        // Documents bcrypt's limit: anything past the 72nd UTF-8 byte was never part of the hash, so a
        // password that differs only there verifies too. The signin that verifies it replaces the hash
        // with Argon2id of the whole password (PasswordHashUpgradeTests), after which every byte counts.
        using var hasher = Hasher();
        var prefix = new string('p', 72);
        var original = prefix + "-the-tail-the-old-system-ignored";
        Assert.Equal(72, Encoding.UTF8.GetByteCount(prefix));
        var hash = Bcrypt(original, 'a');

        Assert.True(await hasher.VerifyAsync(hash, original));
        Assert.True(await hasher.VerifyAsync(hash, prefix + "-any-other-tail"));
        Assert.False(await hasher.VerifyAsync(hash, prefix[..71]));
    }

    [Theory]
    [InlineData("$2x$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01")] // crypt_blowfish's buggy revision
    [InlineData("$2b$10$!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")] // 60 characters, not bcrypt's base64
    [InlineData("$2b$10$short")]
    public async Task OtherOrMalformedBcryptStrings_NeverVerify(string hash)
    {
        using var hasher = Hasher();
        Assert.False(await hasher.VerifyAsync(hash, Password));
    }

    [Fact]
    public async Task BcryptVerification_RunsInTheBoundedHashingQueue()
    {
        // One slot, held by a slow bcrypt check (cost 14, a second or more): a second check must wait
        // for the slot and give up after the queue timeout, like any Argon2id call.
        var options = new AuthOptions();
        options.Password.MaxConcurrentHashes = 1;
        options.Password.HashQueueTimeout = TimeSpan.FromMilliseconds(50);
        using var hasher = new Argon2id(Microsoft.Extensions.Options.Options.Create(options));
        var slow = Bcrypt(Password, 'b', cost: 14);

        var first = hasher.VerifyAsync(slow, Password);
        // Wait until the slow check holds the slot (a fixed delay loses that race on a loaded machine).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (hasher.FreeSlots > 0 && !first.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.Equal(0, hasher.FreeSlots);
        await Assert.ThrowsAsync<PasswordHasherBusyException>(() => hasher.VerifyAsync(Bcrypt(Password, 'b', cost: 4), Password));
        Assert.True(await first);
    }
}
