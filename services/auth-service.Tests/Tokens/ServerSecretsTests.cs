using System.Security.Cryptography;
using System.Text;

namespace AuthService.Tests.Tokens;

/// <summary>AES-GCM sealing of stored secrets under the key-encryption keys: the first seals, every listed one opens.</summary>
public sealed class ServerSecretsTests
{
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("a private key, for example");

    [Fact]
    public void SealOpen_RoundTrips()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());

        var sealedValue = secrets.Seal(Plaintext, "kid-1");

        Assert.Equal(Plaintext, secrets.Open(sealedValue.Box, sealedValue.KekId, "kid-1"));
    }

    [Fact]
    public void Seal_DoesNotContainThePlaintextAndUsesAFreshNonce()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());

        var first = secrets.Seal(Plaintext, "kid-1").Box;
        var second = secrets.Seal(Plaintext, "kid-1").Box;

        Assert.DoesNotContain(Encoding.UTF8.GetString(Plaintext), Encoding.UTF8.GetString(first));
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(0)]  // nonce
    [InlineData(12)] // ciphertext
    [InlineData(-1)] // tag (last byte)
    public void Open_TamperedBox_Fails(int index)
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());
        var sealedValue = secrets.Seal(Plaintext, "kid-1");

        sealedValue.Box[index < 0 ? sealedValue.Box.Length + index : index] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => secrets.Open(sealedValue.Box, sealedValue.KekId, "kid-1"));
    }

    [Fact]
    public void Open_WithDifferentAssociatedData_Fails()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());
        var sealedValue = secrets.Seal(Plaintext, "kid-1");

        Assert.ThrowsAny<CryptographicException>(() => secrets.Open(sealedValue.Box, sealedValue.KekId, "kid-2"));
    }

    [Fact]
    public void Open_UnderAnotherKeyEncryptionKey_Fails()
    {
        var sealedValue = TestKeys.Secrets(TestKeys.Options()).Seal(Plaintext, "kid-1");
        var other = TestKeys.Secrets(TestKeys.Options());

        Assert.ThrowsAny<CryptographicException>(() => other.Open(sealedValue.Box, sealedValue.KekId, "kid-1"));
    }

    [Fact]
    public void SingleKeyEncryptionKey_IsTheListOfOneWithIdLegacy()
    {
        var kek = TestKeys.NewKek();
        var single = TestKeys.Secrets(TestKeys.Options(kek: kek));
        var listed = TestKeys.Secrets(TestKeys.Options(("legacy", kek)));

        var sealedValue = single.Seal(Plaintext, "kid-1");

        Assert.Equal("legacy", sealedValue.KekId);
        Assert.Equal(["legacy"], single.KeyIds);
        Assert.Equal(Plaintext, listed.Open(sealedValue.Box, "legacy", "kid-1"));
    }

    [Fact]
    public void Seal_UsesTheFirstKey_AndEveryListedKeyOpens()
    {
        string oldKek = TestKeys.NewKek(), newKek = TestKeys.NewKek();
        var before = TestKeys.Secrets(TestKeys.Options(("old", oldKek)));
        var decryptOnly = TestKeys.Secrets(TestKeys.Options(("old", oldKek), ("new", newKek)));
        var rotated = TestKeys.Secrets(TestKeys.Options(("new", newKek), ("old", oldKek)));
        var newOnly = TestKeys.Secrets(TestKeys.Options(("new", newKek)));

        var underOld = before.Seal(Plaintext, "kid-1");
        var underNew = rotated.Seal(Plaintext, "kid-1");

        Assert.Equal("old", decryptOnly.Seal(Plaintext, "kid-1").KekId); // a second key only opens
        Assert.Equal("new", underNew.KekId);
        Assert.Equal(Plaintext, decryptOnly.Open(underNew.Box, underNew.KekId, "kid-1"));
        Assert.Equal(Plaintext, rotated.Open(underOld.Box, underOld.KekId, "kid-1"));
        Assert.Equal(Plaintext, newOnly.Open(underNew.Box, underNew.KekId, "kid-1"));
        // The old key is gone: what it sealed no longer opens, and the message names ids, never key material.
        var e = Assert.ThrowsAny<CryptographicException>(() => newOnly.Open(underOld.Box, underOld.KekId, "kid-1"));
        Assert.Contains("'old'", e.Message);
        Assert.Contains("new", e.Message);
        Assert.DoesNotContain(oldKek, e.Message);
        Assert.DoesNotContain(newKek, e.Message);
    }

    [Fact]
    public void Open_KeyListedUnderAnotherIdThanItSealedWith_StillOpens()
    {
        var kek = TestKeys.NewKek();
        var sealedValue = TestKeys.Secrets(TestKeys.Options(kek: kek)).Seal(Plaintext, "kid-1");
        var renamed = TestKeys.Secrets(TestKeys.Options(("2025-07", TestKeys.NewKek()), ("old-one", kek)));

        Assert.Equal(Plaintext, renamed.Open(sealedValue.Box, sealedValue.KekId, "kid-1"));
    }
}
