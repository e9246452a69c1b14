using System.Text;
using AuthService.Options;
using AuthService.Passwords;

namespace AuthService.Tests.Passwords;

/// <summary>API.md "Normalization and policy": NIST SP 800-63B rev 4 single-factor password rules.</summary>
public sealed class PasswordPolicyTests
{
    private const string Email = "someone@example.com";

    private static PasswordPolicy Policy(int? minLength = null)
    {
        var options = new AuthOptions();
        if (minLength is { } min) options.Password.MinLength = min;
        return new PasswordPolicy(Microsoft.Extensions.Options.Options.Create(options));
    }

    /// <summary>A string of exactly <paramref name="length"/> ASCII code points that is in no common list.</summary>
    private static string Ascii(int length)
    {
        const string pattern = "Kx7 vQ2 mZ9 tR4 ";
        var sb = new StringBuilder();
        while (sb.Length < length) sb.Append(pattern);
        return sb.ToString(0, length);
    }

    private static string Repeat(string unit, int count) => string.Concat(Enumerable.Repeat(unit, count));

    [Fact]
    public void DefaultMinLength_14CodePoints_IsTooShort_15Passes()
    {
        var policy = Policy();
        Assert.Equal([PasswordPolicy.TooShort], policy.Check(Ascii(14), Email));
        Assert.Empty(policy.Check(Ascii(15), Email));
    }

    [Fact]
    public void ConfiguredMinLength8_7IsTooShort_8Passes()
    {
        var policy = Policy(minLength: 8);
        Assert.Equal([PasswordPolicy.TooShort], policy.Check("zq8#Lm2", Email));
        Assert.Empty(policy.Check("zq8#Lm2!", Email));
    }

    [Fact]
    public void EmptyPassword_IsTooShort()
    {
        Assert.Equal([PasswordPolicy.TooShort], Policy().Check("", Email));
    }

    [Fact]
    public void MaxLength_128CodePointsPass_129AreTooLong()
    {
        var policy = Policy();
        Assert.Empty(policy.Check(Ascii(128), Email));
        Assert.Equal([PasswordPolicy.TooLong], policy.Check(Ascii(129), Email));
    }

    [Fact]
    public void AstralCharacters_CountOnceEach_NotAsTwoUtf16Units()
    {
        var policy = Policy();
        const string emoji = "\U0001F600"; // 😀, two UTF-16 code units
        // 14 emoji are 28 UTF-16 units but only 14 code points.
        Assert.Equal([PasswordPolicy.TooShort], policy.Check(Repeat(emoji, 14), Email));
        Assert.Empty(policy.Check(Repeat(emoji, 15), Email));
        // 128 emoji are 256 UTF-16 units but exactly the maximum in code points.
        Assert.Empty(policy.Check(Repeat(emoji, 128), Email));
        Assert.Equal([PasswordPolicy.TooLong], policy.Check(Repeat(emoji, 129), Email));
    }

    [Fact]
    public void Length_IsCountedAfterNfkc_LigaturesExpand()
    {
        var policy = Policy();
        const string ffi = "\uFB03"; // ﬃ, NFKC -> "ffi" (3 code points)
        // 5 code points as typed, 15 after NFKC.
        Assert.Empty(policy.Check(Repeat(ffi, 5), Email));
        // 43 code points as typed (would pass), 129 after NFKC.
        Assert.Equal([PasswordPolicy.TooLong], policy.Check(Repeat(ffi, 43), Email));
        Assert.Empty(policy.Check(Repeat(ffi, 42), Email)); // 126 after NFKC
    }

    [Fact]
    public void Length_IsCountedAfterNfkc_CombiningSequencesCompose()
    {
        var policy = Policy();
        const string decomposedE = "e\u0301"; // e + combining acute, NFKC -> é (1 code point)
        // 28 code points as typed, 14 after NFKC.
        Assert.Equal([PasswordPolicy.TooShort], policy.Check(Repeat(decomposedE, 14), Email));
        Assert.Empty(policy.Check(Repeat(decomposedE, 15), Email));
    }

    [Theory]
    [InlineData("correct horse battery staple")] // spaces
    [InlineData("пароль для входа в систему")] // Cyrillic
    [InlineData("密码安全很重要但是要足够长才能通过验证")] // CJK
    [InlineData("Ünïcödé pässwörd ✓ 🎉 ok!")] // Latin-1, symbols, astral emoji
    [InlineData("thisisalllowercaseletters")] // no composition rules
    [InlineData("  leading and trailing spaces  ")]
    public void SpacesAndPrintableUnicode_AreAllowed_WithoutCompositionRules(string password)
    {
        Assert.Empty(Policy().Check(password, Email));
    }

    [Theory]
    [InlineData("passwordpassword")]
    [InlineData("qwerty123456789")]
    public void ShippedCommonPassword_IsTooCommon(string password)
    {
        Assert.True(password.Length >= 15);
        Assert.Equal([PasswordPolicy.TooCommon], Policy().Check(password, Email));
    }

    [Theory]
    [InlineData("PasswordPassword")]
    [InlineData("PASSWORDPASSWORD")]
    [InlineData("QWERTY123456789")]
    public void CommonPassword_IsMatchedCaseInsensitively(string password)
    {
        Assert.Equal([PasswordPolicy.TooCommon], Policy().Check(password, Email));
    }

    [Fact]
    public void CommonPassword_IsMatchedAfterNfkc_FullWidthForm()
    {
        // Full-width "ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ" is "passwordpassword" after NFKC.
        var fullWidth = new string("passwordpassword".Select(c => (char)(c - 'a' + '\uFF41')).ToArray());
        Assert.NotEqual("passwordpassword", fullWidth);
        Assert.Equal([PasswordPolicy.TooCommon], Policy().Check(fullWidth, Email));
    }

    [Fact]
    public void CommonPasswordList_HasAtLeast10000Entries()
    {
        Assert.True(PasswordPolicy.CommonPasswordCount >= 10_000, $"Only {PasswordPolicy.CommonPasswordCount} common passwords are shipped.");
    }

    [Theory]
    [InlineData("alicesmith@example.com", "my alicesmith passphrase")]
    [InlineData("alicesmith@example.com", "my AliceSmith passphrase")]
    [InlineData("alicesmith@example.com", "ALICESMITH-is-my-passphrase")]
    [InlineData("anna@example.com", "a long passphrase with ANNA in it")] // exactly 4 characters
    [InlineData("j.doe+news@example.com", "a long passphrase j.doe+news")]
    public void PasswordContainingEmailLocalPart_IsRefused_CaseInsensitively(string email, string password)
    {
        Assert.Equal([PasswordPolicy.ContainsEmail], Policy().Check(password, email));
    }

    [Fact]
    public void PasswordContainingEmailLocalPart_IsRefused_AfterNfkc()
    {
        var fullWidth = "ａｌｉｃｅｓｍｉｔｈ";
        Assert.Equal([PasswordPolicy.ContainsEmail], Policy().Check($"my {fullWidth} passphrase", "alicesmith@example.com"));
    }

    [Theory]
    [InlineData("bob@example.com", "a long passphrase with bob in it")] // 3 characters
    [InlineData("al@example.com", "a long passphrase with al in it")]
    public void ShortLocalPart_UnderFourCharacters_IsNotChecked(string email, string password)
    {
        Assert.Empty(Policy().Check(password, email));
    }

    [Fact]
    public void DomainOfEmail_IsNotTreatedAsLocalPart()
    {
        Assert.Empty(Policy().Check("example rocks, a long passphrase", "someone@example.com"));
    }

    [Fact]
    public void NoEmail_SkipsTheEmailRule()
    {
        Assert.Empty(Policy().Check("my alicesmith passphrase", null));
    }
}
