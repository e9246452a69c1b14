using System.Security.Cryptography;
using System.Text;

namespace AuthService.Tests.Tokens;

/// <summary>AES-GCM sealing of signing keys under the key-encryption key.</summary>
public sealed class ServerSecretsTests
{
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("a private key, for example");

    [Fact]
    public void EncryptDecrypt_RoundTrips()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());

        var sealedBox = secrets.Encrypt(Plaintext, "kid-1");

        Assert.Equal(Plaintext, secrets.Decrypt(sealedBox, "kid-1"));
    }

    [Fact]
    public void Encrypt_DoesNotContainThePlaintextAndUsesAFreshNonce()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());

        var first = secrets.Encrypt(Plaintext, "kid-1");
        var second = secrets.Encrypt(Plaintext, "kid-1");

        Assert.DoesNotContain(Encoding.UTF8.GetString(Plaintext), Encoding.UTF8.GetString(first));
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(0)]  // nonce
    [InlineData(12)] // ciphertext
    [InlineData(-1)] // tag (last byte)
    public void Decrypt_TamperedBox_Fails(int index)
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());
        var sealedBox = secrets.Encrypt(Plaintext, "kid-1");

        sealedBox[index < 0 ? sealedBox.Length + index : index] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => secrets.Decrypt(sealedBox, "kid-1"));
    }

    [Fact]
    public void Decrypt_WithDifferentAssociatedData_Fails()
    {
        var secrets = TestKeys.Secrets(TestKeys.Options());
        var sealedBox = secrets.Encrypt(Plaintext, "kid-1");

        Assert.ThrowsAny<CryptographicException>(() => secrets.Decrypt(sealedBox, "kid-2"));
    }

    [Fact]
    public void Decrypt_UnderAnotherKeyEncryptionKey_Fails()
    {
        var sealedBox = TestKeys.Secrets(TestKeys.Options()).Encrypt(Plaintext, "kid-1");
        var other = TestKeys.Secrets(TestKeys.Options());

        Assert.ThrowsAny<CryptographicException>(() => other.Decrypt(sealedBox, "kid-1"));
    }
}
