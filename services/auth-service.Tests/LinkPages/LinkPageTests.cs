using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.LinkPages;

/// <summary>
/// The pages the mailed links open when they lead to the service itself (Auth:AppBaseUrl unset): a GET shows a
/// form and changes nothing, the form's POST acts through the JSON endpoints' code, every answer is a page under the
/// pages' policy or, for a request no form makes, the contract's problem.
/// </summary>
public sealed partial class LinkPageTests(LinkPagesFixture fixture) : IClassFixture<LinkPagesFixture>
{
    private const string NewPassword = "a brand new passphrase for 2026";
    private readonly AuthClient client = fixture.NewClient();

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    private Task<HttpResponseMessage> PostFormAsync(string path, params (string Name, string Value)[] fields) =>
        client.Http.PostAsync(path, Form(fields));

    private static async Task<string> PageAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HtmlPage.Policy, string.Join(", ", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("no-referrer", string.Join(", ", response.Headers.GetValues("Referrer-Policy")));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        return html;
    }

    private async Task<bool> IsVerifiedAsync(string email)
    {
        await using var conn = client.OpenDatabase();
        return await conn.QuerySingleAsync<bool>("SELECT email_verified_at IS NOT NULL FROM users WHERE email = @email", new { email });
    }

    [GeneratedRegex(@"https://auth\.test/verify-email\?token=([A-Za-z0-9_\-]+)")]
    private static partial Regex VerifyLink();

    [GeneratedRegex("""<input type="hidden" name="token" value="(?<token>[^"]*)">""")]
    private static partial Regex HiddenToken();

    [Fact]
    public async Task VerifyLink_LeadsToTheServicesPage_WhoseGetOnlyShowsAForm_AndWhosePostVerifies()
    {
        var email = AuthClient.NewEmail("page");
        await client.SignupAsync(email);
        var mail = Assert.Single(await client.EmailsAsync(email)).GetProperty("text").GetString()!;
        var token = await client.TokenFromEmailAsync(email);
        var link = $"{AuthServiceFactory.Issuer}/verify-email?token={token}";
        Assert.Contains(link, mail);

        // Mail scanners fetch links: neither GET nor HEAD may act.
        var html = await PageAsync(await client.Http.GetAsync(new Uri(link).PathAndQuery), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(link).PathAndQuery))).StatusCode);
        Assert.Contains("""<form method="post" action="/verify-email">""", html);
        Assert.Equal(token, HiddenToken().Match(html).Groups["token"].Value);
        Assert.DoesNotContain("name=\"password\"", html); // asked only when the link needs it
        Assert.False(await IsVerifiedAsync(email));

        var done = await PageAsync(await PostFormAsync("/verify-email", ("token", token)), HttpStatusCode.OK);
        Assert.Contains($"{email} is verified", done);
        Assert.True(await IsVerifiedAsync(email));
        await client.SigninAsync(email);

        // Single use, like the JSON endpoint.
        var again = await PageAsync(await PostFormAsync("/verify-email", ("token", token)), HttpStatusCode.BadRequest);
        Assert.Contains("This link does not work", again);
    }

    [Fact]
    public async Task VerifyPage_AfterASecondSignup_AsksForThatSignupsPassword_AndSaysWhenItIsWrong()
    {
        const string first = "the first signup's passphrase 1", second = "the second signup's passphrase 2";
        var email = AuthClient.NewEmail("twice");
        await client.SignupAsync(email, first);
        var older = await client.TokenFromEmailAsync(email);
        await client.SignupAsync(email, second);
        var tokens = (await client.WaitForEmailsAsync(email, 2)).Select(e => VerifyLink().Match(e.GetProperty("text").GetString()!).Groups[1].Value);
        var token = Assert.Single(tokens, t => t != older);

        // Two signups: the link's page asks for the password up front, and again, saying why, when it is left out.
        var page = await PageAsync(await client.Http.GetAsync($"/verify-email?token={token}"), HttpStatusCode.OK);
        Assert.Contains("""name="password" type="password" autocomplete="current-password" required""", page);
        var asks = await PageAsync(await PostFormAsync("/verify-email", ("token", token)), HttpStatusCode.BadRequest);
        Assert.Contains("""name="password" type="password" autocomplete="current-password" required""", asks);
        Assert.Contains("Enter the password you signed up with.", asks);
        Assert.Equal(token, HiddenToken().Match(asks).Groups["token"].Value);
        var wrong = await PageAsync(await PostFormAsync("/verify-email", ("token", token), ("password", first)), HttpStatusCode.BadRequest);
        Assert.Contains("That is not the password of the signup this link belongs to.", wrong);
        Assert.Contains("aria-invalid=\"true\"", wrong);
        Assert.False(await IsVerifiedAsync(email));

        await PageAsync(await PostFormAsync("/verify-email", ("token", token), ("password", second)), HttpStatusCode.OK);
        Assert.True(await IsVerifiedAsync(email));
        await client.SigninAsync(email, second);
    }

    [Fact]
    public async Task ResetPage_StatesTheRule_RefusesByTheRulesCodes_ThenSetsThePassword_AndSignsEverySessionOut()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var token = await client.TokenFromEmailAsync(email, "reset-password");

        var form = await PageAsync(await client.Http.GetAsync($"/reset-password?token={token}"), HttpStatusCode.OK);
        Assert.Contains("At least 15 and at most 128 characters", form);
        Assert.Contains("""name="newPassword" type="password" autocomplete="new-password" required""", form);
        Assert.Contains($"""name="username" value="{email}" autocomplete="username" hidden""", form); // for password managers

        var tooShort = await PageAsync(await PostFormAsync("/reset-password", ("token", token), ("newPassword", "short")), HttpStatusCode.BadRequest);
        Assert.Contains("Too short: use at least 15 characters.", tooShort);
        Assert.Contains("aria-invalid=\"true\"", tooShort);
        var local = email.Split('@')[0];
        var withEmail = await PageAsync(await PostFormAsync("/reset-password", ("token", token), ("newPassword", $"{local} is my password")),
            HttpStatusCode.BadRequest);
        Assert.Contains("It contains your email address.", withEmail);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, NewPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        var done = await PageAsync(await PostFormAsync("/reset-password", ("token", token), ("newPassword", NewPassword)), HttpStatusCode.OK);
        Assert.Contains("Password changed", done);
        await client.SigninAsync(email, NewPassword);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(session.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        var used = await PageAsync(await PostFormAsync("/reset-password", ("token", token), ("newPassword", NewPassword + "!")), HttpStatusCode.BadRequest);
        Assert.Contains("This link does not work", used);
    }

    [Fact]
    public async Task ConfirmEmailChangeLink_LeadsToTheServicesPage_WhoseGetOnlyShowsAButton_AndWhosePostMovesTheAccount()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var newEmail = AuthClient.NewEmail("moved");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/email/change", session.AccessToken,
            new { newEmail, password = AuthClient.DefaultPassword })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var token = await client.TokenFromEmailAsync(newEmail, "confirm-email-change");
        var link = $"{AuthServiceFactory.Issuer}/confirm-email-change?token={token}";
        Assert.Contains(await client.EmailsAsync(newEmail), m => m.GetProperty("text").GetString()!.Contains(link, StringComparison.Ordinal));

        var html = await PageAsync(await client.Http.GetAsync(new Uri(link).PathAndQuery), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(link).PathAndQuery))).StatusCode);
        Assert.Contains("""<form method="post" action="/confirm-email-change">""", html);
        Assert.Equal(token, HiddenToken().Match(html).Groups["token"].Value);
        Assert.Contains(newEmail, html);
        await using (var db = client.OpenDatabase())
            Assert.Equal(1, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM users WHERE email = @email", new { email }));

        var done = await PageAsync(await PostFormAsync("/confirm-email-change", ("token", token)), HttpStatusCode.OK);
        Assert.Contains($"Your account now uses {newEmail}", done);
        await client.SigninAsync(newEmail);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
        var again = await PageAsync(await PostFormAsync("/confirm-email-change", ("token", token)), HttpStatusCode.BadRequest);
        Assert.Contains("This link does not work", again);
    }

    [Theory]
    [InlineData("/verify-email")]
    [InlineData("/reset-password")]
    [InlineData("/confirm-email-change")]
    public async Task Get_WithoutOrWithAHostileToken_ShowsAnEscapedPage_NeverA500(string path)
    {
        var missing = await PageAsync(await client.Http.GetAsync(path), HttpStatusCode.BadRequest);
        Assert.Contains("This link is incomplete", missing);
        await PageAsync(await client.Http.GetAsync($"{path}?token=a&token=b"), HttpStatusCode.BadRequest);

        // Hostile tokens (markup, NUL, bidi override; invalid UTF-8 and a split surrogate; overlong): looked up as they
        // are, found nowhere, answered with the broken-link page, nothing of them echoed.
        foreach (var token in new[] { "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%00%E2%80%AE", "%C3%28%ED%A0%80", new string('x', 8000) })
        {
            var html = await PageAsync(await client.Http.GetAsync($"{path}?token={token}"), HttpStatusCode.BadRequest);
            Assert.Contains("This link does not work", html);
            Assert.DoesNotContain("alert(1)", html);
        }
    }

    [Theory]
    [InlineData("/verify-email")]
    [InlineData("/reset-password")]
    [InlineData("/confirm-email-change")]
    public async Task Post_HostileForms_GetAPageOrTheContractsProblem_NeverA500(string path)
    {
        // Forms with bad values: the broken-link page.
        foreach (var body in new[] { "token=%C3%28%ED%A0%80", "token=x&token=y", "", "token=" + new string('A', 15000) })
        {
            var response = await client.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded"));
            Assert.Contains("This link does not work", await PageAsync(response, HttpStatusCode.BadRequest));
        }
        // Control characters in a form the reader refuses: the contract's problem.
        var control = await client.Http.PostAsync(path, new StringContent("token=a%00b%0D%0A&password=y", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await ProblemAssert.IsProblemAsync(control, HttpStatusCode.BadRequest, "malformed_request");
        // Bodies no form makes: problems.
        var json = await client.Http.PostAsync(path, new StringContent("{\"token\":\"x\"}", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(json, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        var invalidBytes = new ByteArrayContent([(byte)'t', (byte)'o', (byte)'k', (byte)'e', (byte)'n', (byte)'=', 0xC3, 0x28, 0xFF]);
        invalidBytes.Headers.ContentType = new("application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.Http.PostAsync(path, invalidBytes)).StatusCode);
        var tooLarge = await client.Http.PostAsync(path, new StringContent("token=" + new string('A', 17000), Encoding.UTF8, "application/x-www-form-urlencoded"));
        await ProblemAssert.IsProblemAsync(tooLarge, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        var crossSite = new HttpRequestMessage(HttpMethod.Post, path) { Content = Form(("token", "x")) };
        crossSite.Headers.Add("Sec-Fetch-Site", "cross-site");
        await ProblemAssert.IsProblemAsync(await client.Http.SendAsync(crossSite), HttpStatusCode.Forbidden, "csrf_failed");
    }
}
