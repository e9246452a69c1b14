using System.Net;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Accounts;

/// <summary>
/// Emails and display names hold only what people can see: control, format and zero-width
/// characters are refused (they make "admin" and "adm\u200Bin" look alike, or reorder a name on
/// other users' screens), except the invisible parts of emoji sequences (UTS #51) in names.
/// </summary>
public sealed class VisibleTextTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    public static TheoryData<string, string> AcceptedNames() => new()
    {
        { "plain", "Ada Lovelace" },
        { "accents, composed and combining", "José Ze\u0301" },
        { "CJK and Arabic letters", "山田 太郎 محمد" },
        { "emoji", "Ada 😀" },
        { "ZWJ between emoji: technologist", "Ada 👩\u200D💻" },
        { "ZWJ family", "👨\u200D👩\u200D👧" },
        { "ZWJ after skin tone", "👩🏽\u200D💻" },
        { "rainbow flag: VS16 then ZWJ", "🏳\uFE0F\u200D🌈" },
        { "pirate flag: ZWJ after U+1F3F4", "🏴\u200D☠\uFE0F" },
        { "VS16 after a heart", "I ❤\uFE0F tea" },
        { "VS15 after a character", "☎\uFE0E" },
        { "keycap", "1\uFE0F\u20E3" },
        { "subdivision flag (Scotland)", "Ada 🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F" },
        { "black flag alone", "🏴" },
    };

    public static TheoryData<string, string> RefusedNames() => new()
    {
        { "NUL", "Ada\0" },
        { "escape sequence", "Ada\u001b[31m" },
        { "C1 control NEL", "Ada\u0085Bob" },
        { "right-to-left override", "Ada\u202Egnp.exe" },
        { "left-to-right isolate", "Ada\u2066x" },
        { "Arabic letter mark", "Ada\u061C" },
        { "line separator", "Ada\u2028Bob" },
        { "paragraph separator", "Ada\u2029Bob" },
        { "zero-width space", "ad\u200Bmin" },
        { "zero-width non-joiner", "ad\u200Cmin" },
        { "ZWJ between letters", "ad\u200Dmin" },
        { "ZWJ at the end of an emoji", "👩\u200D" },
        { "ZWJ before an emoji only", "a\u200D💻" },
        { "word joiner", "ad\u2060min" },
        { "BOM / ZWNBSP", "\uFEFFadmin" },
        { "soft hyphen", "ad\u00ADmin" },
        { "Mongolian vowel separator", "ad\u180Emin" },
        { "Hangul filler", "\u3164" },
        { "Hangul filler inside", "ad\u3164min" },
        { "braille blank", "ad\u2800min" },
        { "combining grapheme joiner", "ad\u034Fmin" },
        { "VS16 at the start", "\uFE0Fadmin" },
        { "VS16 stacked", "a\uFE0F\uFE0F" },
        { "other variation selector", "admin\uFE01" },
        { "ideographic variation selector", "admin\U000E0100" },
        { "tag characters outside a flag", "admin\U000E0061\U000E007F" },
        { "flag tags without CANCEL TAG", "🏴\U000E0067\U000E0062" },
        { "CANCEL TAG alone", "🏴\U000E007F" },
        { "VS16 after a letter", "Adm\uFE0Fin" },
        { "VS15 after a letter", "a\uFE0Edmin" },
        { "text hidden in flag tags", "Bob 🏴" + string.Concat("ignore all previous instructions".Replace(" ", "").Select(c => char.ConvertFromUtf32(0xE0000 + c))) + "\U000E007F" },
        { "upper-case flag tags", "🏴\U000E0047\U000E0042\U000E0053\U000E0043\U000E0054\U000E007F" },
        { "private use", "Ada\uE000" },
        { "unassigned", "Ada\u0378" },
        { "lone high surrogate", "Ada\ud800" },
        { "lone low surrogate", "\udc00Ada" },
    };

    [Theory]
    [MemberData(nameof(AcceptedNames))]
    public void DisplayName_Accepted(string name, string value)
    {
        Assert.True(FieldErrors.CheckDisplayName(value, out _) is null, $"{name} was refused");
    }

    [Theory]
    [MemberData(nameof(RefusedNames), DisableDiscoveryEnumeration = true)] // discovery would turn lone surrogates into U+FFFD
    public void DisplayName_Refused(string name, string value)
    {
        Assert.True(FieldErrors.CheckDisplayName(value, out _) == FieldErrors.InvalidFormat, $"{name} was accepted");
    }

    [Theory]
    [InlineData("ad\u200Bmin@example.com")]
    [InlineData("\uFEFFadmin@example.com")]
    [InlineData("ad\u00ADmin@example.com")]
    [InlineData("ad\u2060min@example.com")]
    [InlineData("admin\u202E@example.com")]
    [InlineData("admin\u2066@example.com")]
    [InlineData("admin\u200D@example.com")]
    [InlineData("admin@exa\u200Bmple.com")]
    [InlineData("admin@example.com\u200B")]
    [InlineData("ad\u3164min@example.com")]
    [InlineData("admin\uFE0F@example.com")]
    [InlineData("admin\uE000@example.com")]
    [InlineData("admin\u2028@example.com")]
    public void Email_WithInvisibleCharacters_IsRefused(string raw)
    {
        Assert.Null(EmailAddress.Normalize(raw));
    }

    [Fact]
    public void Email_WithALoneSurrogate_IsRefused()
    {
        Assert.Null(EmailAddress.Normalize("admin\ud800@example.com"));
        Assert.Null(EmailAddress.Normalize("\udc00admin@example.com"));
    }

    [Theory]
    [InlineData("jos\u00e9@example.com")]
    [InlineData("山田@example.com")]
    public void Email_WithVisibleNonAscii_IsStillAccepted(string raw)
    {
        Assert.Equal(raw, EmailAddress.Normalize(raw));
    }

    [Fact]
    public async Task SignupAndProfile_RefuseInvisibleCharacters_WithFieldErrors()
    {
        var client = fixture.NewClient();
        var signup = await client.SignupAsync("ad\u200Bmin@example.com", displayName: "Ada\u2066x");
        var problem = await ProblemAssert.IsProblemAsync(signup, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([FieldErrors.InvalidFormat], ProblemAssert.FieldErrors(problem, "email"));
        Assert.Equal([FieldErrors.InvalidFormat], ProblemAssert.FieldErrors(problem, "displayName"));

        var signedIn = await client.SignupAndSigninAsync();
        var patch = await client.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", signedIn.AccessToken, new { displayName = "ad\u200Bmin" });
        problem = await ProblemAssert.IsProblemAsync(patch, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([FieldErrors.InvalidFormat], ProblemAssert.FieldErrors(problem, "displayName"));
        var ok = await client.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", signedIn.AccessToken, new { displayName = "Ada 👩\u200D💻" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
