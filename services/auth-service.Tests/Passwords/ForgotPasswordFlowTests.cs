using System.Net;
using AuthService.Tests.Accounts;
using AuthService.Tests.Email;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>POST /auth/password/forgot: 202 always, a reset link by real SMTP only when the account exists.</summary>
public sealed class ForgotPasswordFlowTests(SmtpServiceFixture fixture) : IClassFixture<SmtpServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ForgotAsync(string? email) => client.PostJsonAsync("/auth/password/forgot", new { email });

    [Fact]
    public async Task Forgot_KnownUnverifiedAndUnknownEmail_AnswerIdentically202()
    {
        var known = await client.CreateVerifiedUserAsync();
        var unverified = AuthClient.NewEmail("unverified");
        await client.SignupAsync(unverified);
        var unknown = AuthClient.NewEmail("unknown");

        await TestJson.AssertIdenticalAcceptedAsync(await ForgotAsync(known), await ForgotAsync(unknown), await ForgotAsync(unverified));
    }

    [Theory]
    [InlineData("not-an-email", "invalid_format")]
    [InlineData("a@b@example.com", "invalid_format")]
    [InlineData(null, "required")]
    public async Task Forgot_InvalidEmail_IsValidationFailed(string? email, string code)
    {
        var problem = await ProblemAssert.IsProblemAsync(await ForgotAsync(email), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([code], ProblemAssert.FieldErrors(problem, "email"));
    }

    [Fact]
    public async Task Forgot_KnownAccount_ReceivesResetLinkThroughSmtp_ThatResetsThePassword()
    {
        var email = await client.CreateVerifiedUserAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(email)).StatusCode);

        var mail = await fixture.WaitForMailAsync(email, m => m.Subject.Contains("password", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(SmtpServiceFixture.ProductName, mail.Subject);
        var text = Mime.Text(mail);
        var html = Mime.Html(mail);
        var link = MailLinks.ResetLink().Match(text);
        Assert.True(link.Success, $"No https://app.test/reset-password?token=… link in the text body: {text}");
        var token = link.Groups[1].Value;
        Assert.Equal(43, token.Length);
        Assert.Contains($"href=\"https://app.test/reset-password?token={token}\"", html);
        Assert.Contains(SmtpServiceFixture.ProductName, text);
        Assert.Contains(SmtpServiceFixture.ProductName, html);
        Assert.DoesNotContain(AuthClient.DefaultPassword, mail.Raw);

        // The mailed link is the live one: it resets this account's password.
        const string newPassword = "a brand new passphrase after forgetting";
        var reset = await client.PostJsonAsync("/auth/password/reset", new { token, newPassword });
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, newPassword)).StatusCode);
    }

    [Fact]
    public async Task Forgot_UnknownEmail_SendsNothing()
    {
        var unknown = AuthClient.NewEmail("unknown");

        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(unknown)).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        Assert.Empty(await client.EmailsAsync(unknown));
        await using var db = client.OpenDatabase();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails WHERE \"to\" = @unknown", new { unknown }));
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM users WHERE email = @unknown", new { unknown }));

        // Mail leaves the outbox in order: once later mail reached the SMTP server, none to the unknown address is coming.
        var later = await client.CreateVerifiedUserAsync();
        await fixture.WaitForMailAsync(later);
        Assert.Empty(fixture.MailTo(unknown));
    }

    [Fact]
    public async Task Forgot_NewRequest_InvalidatesOlderResetTokens()
    {
        var email = await client.CreateVerifiedUserAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(email)).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(email)).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        var tokens = MailLinks.ResetTokens(await client.EmailsAsync(email));
        Assert.Equal(2, tokens.Length);
        var (newer, older) = (tokens[0], tokens[1]);
        Assert.NotEqual(older, newer);

        await ProblemAssert.IsProblemAsync(
            await client.PostJsonAsync("/auth/password/reset", new { token = older, newPassword = "the older link must not work" }),
            HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode); // unchanged

        const string newPassword = "the newest link sets this passphrase";
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostJsonAsync("/auth/password/reset", new { token = newer, newPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, newPassword)).StatusCode);
    }

    [Fact]
    public async Task Forgot_NormalizesTheEmail()
    {
        var email = await client.CreateVerifiedUserAsync();

        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync($"  {email.ToUpperInvariant()} ")).StatusCode);
        await client.WaitForBackgroundWorkAsync();

        Assert.Single(MailLinks.ResetTokens(await client.EmailsAsync(email)));
    }

    [Fact]
    public async Task Forgot_ChangesNothingByItself_PasswordAndSessionsKeepWorking()
    {
        // Anybody can ask for a reset of any address: asking must not lock the owner out.
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);

        Assert.Equal(HttpStatusCode.Accepted, (await ForgotAsync(email)).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        Assert.Single(MailLinks.ResetTokens(await client.EmailsAsync(email)));

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(session.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
    }
}
