using System.Text;

namespace AuthService.Tests.Mfa;

/// <summary>The tests' RFC 6238 implementation against the RFC's own test vectors (appendix B, the SHA-1 rows).</summary>
public sealed class Rfc6238Tests
{
    // RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    private static readonly byte[] Seed = Encoding.ASCII.GetBytes("12345678901234567890");

    [Theory]
    [InlineData(59L, "94287082")]
    [InlineData(1111111109L, "07081804")]
    [InlineData(1111111111L, "14050471")]
    [InlineData(1234567890L, "89005924")]
    [InlineData(2000000000L, "69279037")]
    [InlineData(20000000000L, "65353130")]
    public void EightDigitCodes_MatchTheRfcVectors(long unixTime, string expected) =>
        Assert.Equal(expected, Rfc6238.Code(Seed, DateTimeOffset.FromUnixTimeSeconds(unixTime), digits: 8));

    [Theory]
    [InlineData(59L, "287082")]
    [InlineData(1111111109L, "081804")]
    [InlineData(1234567890L, "005924")]
    [InlineData(20000000000L, "353130")]
    public void SixDigitCodes_AreTheLastSixDigitsOfTheVectors(long unixTime, string expected) =>
        Assert.Equal(expected, Rfc6238.Code(Seed, DateTimeOffset.FromUnixTimeSeconds(unixTime)));

    [Fact]
    public void Base32_DecodesTheRfc4648Vectors()
    {
        Assert.Equal("foobar"u8.ToArray(), Rfc6238.Base32Decode("MZXW6YTBOI======"));
        Assert.Equal(Seed, Rfc6238.Base32Decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
    }
}
