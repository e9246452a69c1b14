using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Email;

/// <summary>Security notices to an account's owner, delivered through real SMTP.</summary>
public sealed class NotificationTests(SmtpServiceFixture fixture) : IClassFixture<SmtpServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task Signup_WithARegisteredAddress_MailsTheOwnerANotice_NotAVerifyLink()
    {
        var email = await client.CreateVerifiedUserAsync();
        var verifyMail = await fixture.WaitForMailAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, "someone else's chosen passphrase")).StatusCode);

        await fixture.Smtp.WaitForAsync(_ => fixture.MailTo(email).Count >= 2);
        var notice = fixture.MailTo(email).Single(m => m.Raw != verifyMail.Raw);
        Assert.NotEqual(verifyMail.Subject, notice.Subject);
        Assert.Contains(SmtpServiceFixture.ProductName, notice.Subject);
        var text = Mime.Text(notice);
        var html = Mime.Html(notice);
        Assert.Contains(SmtpServiceFixture.ProductName, text);
        Assert.Contains(SmtpServiceFixture.ProductName, html);
        foreach (var body in new[] { text, html })
        {
            Assert.DoesNotContain("token=", body);
            Assert.DoesNotContain("verify-email", body);
        }
        Assert.DoesNotContain("someone else's chosen passphrase", notice.Raw);
        Assert.Single(fixture.MailTo(email), m => m.Subject == verifyMail.Subject); // no second verify mail
    }

    [Fact]
    public async Task Signup_WithAnUnverifiedRegisteredAddress_MailsAFreshVerifyLink()
    {
        // Nobody owns an unverified address yet: the newer signup gets its own link (bound to its own
        // credential), and the older signup's link stops working.
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var verifyMail = await fixture.WaitForMailAsync(email);

        await client.SignupAsync(email);

        await fixture.Smtp.WaitForAsync(_ => fixture.MailTo(email).Count >= 2);
        var fresh = fixture.MailTo(email).Single(m => m.Raw != verifyMail.Raw);
        Assert.Equal(verifyMail.Subject, fresh.Subject);
        Assert.Contains("verify-email?token=", Mime.Text(fresh));
        Assert.NotEqual(Mime.Text(verifyMail), Mime.Text(fresh));
    }

    [Fact]
    public async Task RefreshTokenReuse_MailsTheOwner_NamingTheSessionsDeviceAndIp()
    {
        const string device = "NotifyPhone/2.5 (Pixel 9; Android 15) & <Tablet>";
        var email = await client.CreateVerifiedUserAsync();
        await fixture.WaitForMailAsync(email); // the verify mail is out of the way
        var phone = new OriginClient(fixture.Factory, "198.51.100.23", device);
        var attacker = new OriginClient(fixture.Factory, "203.0.113.66", "curl/8.5.0");
        var signedIn = await phone.SigninAsync(email, AuthClient.DefaultPassword);
        var second = await phone.RotateAsync(signedIn.RefreshToken);
        await phone.RotateAsync(second);
        var before = fixture.MailTo(email).Count;

        // A token two generations old comes back (from somewhere else): that is reuse.
        await ProblemAssert.IsProblemAsync(await attacker.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        await fixture.Smtp.WaitForAsync(_ => fixture.MailTo(email).Count > before);
        var notice = fixture.MailTo(email).Last();
        Assert.Contains(SmtpServiceFixture.ProductName, notice.Subject);
        var text = Mime.Text(notice);
        var html = Mime.Html(notice);
        Assert.Contains(device, text);
        Assert.Contains("198.51.100.23", text);
        Assert.Contains("NotifyPhone/2.5 (Pixel 9; Android 15) &amp; &lt;Tablet&gt;", html);
        Assert.DoesNotContain("<Tablet>", html);
        Assert.Contains("198.51.100.23", html);
        Assert.DoesNotContain("curl/8.5.0", text); // the session's device, not the replaying client
        Assert.DoesNotContain(signedIn.RefreshToken, notice.Raw);
        Assert.DoesNotContain(second, notice.Raw);
        Assert.DoesNotContain("token=", text);

        // The session is gone; replaying again does not mail the owner a second time.
        await ProblemAssert.IsProblemAsync(await attacker.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        var later = await client.CreateVerifiedUserAsync();
        await fixture.WaitForMailAsync(later);
        Assert.Equal(before + 1, fixture.MailTo(email).Count);
    }

    [Fact]
    public async Task RefreshWithinTheGraceWindow_IsNotReuse_AndMailsNobody()
    {
        var email = await client.CreateVerifiedUserAsync();
        await fixture.WaitForMailAsync(email);
        var phone = new OriginClient(fixture.Factory, "198.51.100.24", "GraceTab/1.0");
        var signedIn = await phone.SigninAsync(email, AuthClient.DefaultPassword);
        var next = await phone.RotateAsync(signedIn.RefreshToken);
        var before = fixture.MailTo(email).Count;

        // A parallel tab presents the same (just retired) token within the grace window: same successor, no alarm.
        Assert.Equal(next, await phone.RotateAsync(signedIn.RefreshToken));

        var later = await client.CreateVerifiedUserAsync();
        await fixture.WaitForMailAsync(later);
        Assert.Equal(before, fixture.MailTo(email).Count);
    }
}
