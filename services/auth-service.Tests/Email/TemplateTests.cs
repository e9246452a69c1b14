using System.Text.RegularExpressions;
using AuthService.Email;

namespace AuthService.Tests.Email;

/// <summary>EmailTemplates: every email has a text and an HTML body naming the product; HTML escapes what it interpolates.</summary>
public sealed partial class TemplateTests
{
    private const string Product = "A & <B>";
    private const string EscapedProduct = "A &amp; &lt;B&gt;";
    private const string AppBaseUrl = "https://app.test";
    private const string To = "owner@example.com";
    private const string Token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";

    private static readonly EmailTemplates Templates = new(Product, AppBaseUrl);

    public static TheoryData<string> AllEmails() => ["verify", "reset", "signup-existing", "password-changed", "session-revoked"];

    private static EmailMessage Build(string kind, EmailTemplates? templates = null)
    {
        templates ??= Templates;
        return kind switch
        {
            "verify" => templates.VerifyEmail(To, Token),
            "reset" => templates.ResetPassword(To, Token),
            "signup-existing" => templates.SignupAttemptOnExistingAccount(To),
            "password-changed" => templates.PasswordChanged(To),
            "session-revoked" => templates.SessionRevokedForReuse(To, "Firefox on Linux", "198.51.100.4"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    [Theory]
    [MemberData(nameof(AllEmails))]
    public void EveryEmail_HasSubjectTextAndHtml_NamingTheProduct(string kind)
    {
        var mail = Build(kind);

        Assert.Equal(To, mail.To);
        Assert.Contains(Product, mail.Subject);
        Assert.False(string.IsNullOrWhiteSpace(mail.Text));
        Assert.False(string.IsNullOrWhiteSpace(mail.Html));
        Assert.Contains(Product, mail.Text);
        Assert.Contains(EscapedProduct, mail.Html);
        Assert.StartsWith("<!doctype html>", mail.Html.TrimStart(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("</html>", mail.Html);
    }

    [Theory]
    [MemberData(nameof(AllEmails))]
    public void EveryEmail_HtmlEscapesTheProductName(string kind)
    {
        var html = Build(kind).Html;

        Assert.DoesNotContain("<B>", html);
        Assert.DoesNotContain("A & ", html);
        // Every '<' in the HTML opens a tag of the template itself, never an interpolated value.
        foreach (Match tag in Tags().Matches(html))
            Assert.Contains(tag.Groups[1].Value.ToLowerInvariant(), new[] { "!doctype", "html", "head", "meta", "title", "body", "p", "a" });
    }

    [Theory]
    [InlineData("verify", "verify-email")]
    [InlineData("reset", "reset-password")]
    public void ActionEmails_CarryTheActionLink_InTextAndHtml(string kind, string page)
    {
        var mail = Build(kind);
        var link = $"https://app.test/{page}?token={Token}";

        Assert.Contains(link, mail.Text);
        Assert.Contains($"href=\"{link}\"", mail.Html);
    }

    [Theory]
    [InlineData("https://app.test/")]
    [InlineData("https://app.test")]
    public void ActionLinks_JoinTheBaseUrlWithOneSlash(string baseUrl)
    {
        var mail = new EmailTemplates(Product, baseUrl).ResetPassword(To, Token);

        Assert.Contains($"https://app.test/reset-password?token={Token}", mail.Text);
        Assert.DoesNotContain("app.test//", mail.Text);
    }

    [Fact]
    public void ActionLinks_KeepTheAppBasePath()
    {
        var mail = new EmailTemplates(Product, "https://example.com/app").VerifyEmail(To, Token);

        Assert.Contains($"https://example.com/app/verify-email?token={Token}", mail.Text);
    }

    [Theory]
    [InlineData("signup-existing")]
    [InlineData("password-changed")]
    [InlineData("session-revoked")]
    public void Notices_CarryNoTokenLink(string kind)
    {
        var mail = Build(kind);

        Assert.DoesNotContain("token=", mail.Text);
        Assert.DoesNotContain("token=", mail.Html);
        Assert.DoesNotContain(Token, mail.Text + mail.Html);
    }

    [Fact]
    public void SessionRevoked_NamesDeviceAndIp_AndEscapesThemInHtml()
    {
        const string device = "<script>alert(\"x\")</script> & Co";
        var mail = Templates.SessionRevokedForReuse(To, device, "203.0.113.9");

        Assert.Contains(device, mail.Text);
        Assert.Contains("203.0.113.9", mail.Text);
        Assert.Contains("203.0.113.9", mail.Html);
        Assert.DoesNotContain("<script>", mail.Html);
        Assert.Contains("&lt;script&gt;", mail.Html);
        Assert.Contains("&amp; Co", mail.Html);
    }

    [Fact]
    public void SessionRevoked_UnknownDeviceAndIp_StillReadable()
    {
        var mail = Templates.SessionRevokedForReuse(To, null, null);

        Assert.Contains("unknown", mail.Text);
        Assert.DoesNotContain("\"\"", mail.Text);
    }

    [GeneratedRegex(@"<\s*/?\s*([!A-Za-z][A-Za-z0-9]*)")]
    private static partial Regex Tags();
}
