using System.Net;
using System.Security.Cryptography;
using AuthService.Tests.Email;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>POST /auth/password/reset {token, newPassword}: 204, every session revoked, single use, 1 h, policy, owner mailed.</summary>
public sealed class ResetPasswordFlowTests(SmtpServiceFixture fixture) : IClassFixture<SmtpServiceFixture>
{
    private const string NewPassword = "a completely different passphrase 9";

    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ResetAsync(string? token, string? newPassword) =>
        client.PostJsonAsync("/auth/password/reset", new { token, newPassword });

    /// <summary>Asks for a reset and returns the token linked from the mail.</summary>
    private async Task<string> ResetTokenAsync(string email)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        return await client.TokenFromEmailAsync(email, "reset-password");
    }

    private async Task<string> PasswordHashAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email }) ?? "";
    }

    [Fact]
    public async Task Reset_ValidToken_204_NewPasswordSignsIn_OldOneFails()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);

        var response = await ResetAsync(token, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AuthClient.DefaultPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Reset_RevokesEverySessionOfTheUser()
    {
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        var rotated = await client.RefreshAsync(second.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var secondCookie = AuthClient.RefreshCookieValue(rotated)!;
        var secondAccess = (await AuthClient.ReadSignedInAsync(rotated)).AccessToken;
        var token = await ResetTokenAsync(email);

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);

        foreach (var cookie in new[] { first.RefreshToken, secondCookie })
            await ProblemAssert.IsProblemAsync(await client.RefreshAsync(cookie), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        foreach (var access in new[] { first.AccessToken, second.AccessToken, secondAccess })
            await ProblemAssert.IsProblemAsync(await client.GetWithBearerAsync("/auth/me", access), HttpStatusCode.Unauthorized, "unauthorized");
        await using var db = client.OpenDatabase();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = @email AND s.revoked_at IS NULL", new { email }));

        // A fresh signin with the new password gets a working session.
        var fresh = await client.SigninAsync(email, NewPassword);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", fresh.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Reset_TokenIsSingleUse()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);
        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);

        await ProblemAssert.IsProblemAsync(await ResetAsync(token, "yet another passphrase to try"), HttpStatusCode.BadRequest, "invalid_token");

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, "yet another passphrase to try"), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Reset_SameTokenInParallel_ExactlyOneWins()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);
        var passwords = Enumerable.Range(0, 4).Select(i => $"parallel reset passphrase number {i}").ToArray();

        var responses = await Task.WhenAll(passwords.Select(p => ResetAsync(token, p)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        foreach (var loser in responses.Where(r => r.StatusCode != HttpStatusCode.NoContent))
            await ProblemAssert.IsProblemAsync(loser, HttpStatusCode.BadRequest, "invalid_token");
        var winner = passwords[Array.FindIndex(responses, r => r.StatusCode == HttpStatusCode.NoContent)];
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, winner)).StatusCode);
        foreach (var other in passwords.Where(p => p != winner))
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, other)).StatusCode);
    }

    [Fact]
    public async Task Reset_TokenExpiresAfterOneHour()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);
        var hash = await PasswordHashAsync(email);

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(61));

        await ProblemAssert.IsProblemAsync(await ResetAsync(token, NewPassword), HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Reset_TokenStillWorksJustBeforeTheHour()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);

        fixture.Factory.Clock.Advance(TimeSpan.FromMinutes(59));

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // well-formed, unknown
    [InlineData("not-a-token")]
    [InlineData("' OR 1=1 --")]
    public async Task Reset_UnknownToken_IsInvalidToken(string token)
    {
        var problem = await ProblemAssert.IsProblemAsync(await ResetAsync(token, NewPassword), HttpStatusCode.BadRequest, "invalid_token");
        Assert.DoesNotContain(token, problem.ToString());
        Assert.DoesNotContain(NewPassword, problem.ToString());
    }

    [Fact]
    public async Task Reset_RandomWellFormedToken_IsInvalidToken()
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await ProblemAssert.IsProblemAsync(await ResetAsync(token, NewPassword), HttpStatusCode.BadRequest, "invalid_token");
    }

    [Fact]
    public async Task Reset_WithAVerifyToken_IsInvalidToken_AndTheVerifyTokenStillVerifies()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var verifyToken = await client.TokenFromEmailAsync(email, "verify-email");
        var hash = await PasswordHashAsync(email);

        await ProblemAssert.IsProblemAsync(await ResetAsync(verifyToken, NewPassword), HttpStatusCode.BadRequest, "invalid_token");

        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = verifyToken })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task VerifyEmail_WithAResetToken_IsInvalidToken_AndTheResetTokenStillResets()
    {
        var email = await client.CreateVerifiedUserAsync();
        var resetToken = await ResetTokenAsync(email);

        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/verify-email", new { token = resetToken }), HttpStatusCode.BadRequest, "invalid_token");

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(resetToken, NewPassword)).StatusCode);
    }

    public static TheoryData<string, string> PolicyViolations() => new()
    {
        { "too short", "too_short" },
        { new string('x', 129), "too_long" },
        { "passwordpassword", "too_common" },
        { "QWERTY123456789", "too_common" },
        { "my {local} is my passphrase", "contains_email" },
    };

    [Theory]
    [MemberData(nameof(PolicyViolations))]
    public async Task Reset_PasswordAgainstPolicy_IsValidationFailed_AndTheTokenIsNotConsumed(string newPassword, string code)
    {
        var email = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("walrus"));
        newPassword = newPassword.Replace("{local}", email.Split('@')[0].ToUpperInvariant());
        var token = await ResetTokenAsync(email);
        var hash = await PasswordHashAsync(email);

        var problem = await ProblemAssert.IsProblemAsync(await ResetAsync(token, newPassword), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal([code], ProblemAssert.FieldErrors(problem, "newPassword"));
        Assert.DoesNotContain(newPassword, problem.ToString());
        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        // The rejected attempt did not use up the link: a good password still goes through with it.
        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Reset_PolicyViolation_DoesNotRevokeSessions()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var token = await ResetTokenAsync(email);

        await ProblemAssert.IsProblemAsync(await ResetAsync(token, "short"), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", session.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(session.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Reset_MissingFields_AreValidationFailed_AndTheTokenIsNotConsumed()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);

        var both = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/password/reset", new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(both, "token"));
        Assert.Equal(["required"], ProblemAssert.FieldErrors(both, "newPassword"));

        var noPassword = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/password/reset", new { token }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(noPassword, "newPassword"));
        Assert.False(noPassword.GetProperty("errors").TryGetProperty("token", out _));

        var noToken = await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/password/reset", new { newPassword = NewPassword }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(noToken, "token"));
        Assert.False(noToken.GetProperty("errors").TryGetProperty("newPassword", out _));

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Reset_MailsTheOwnerThatThePasswordWasChanged_ThroughSmtp()
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = await ResetTokenAsync(email);
        await fixture.WaitForMailAsync(email, m => m.Subject.Contains("Reset", StringComparison.OrdinalIgnoreCase));

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);

        var notice = await fixture.WaitForMailAsync(email, m => m.Subject.Contains("changed", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(SmtpServiceFixture.ProductName, notice.Subject);
        var text = Mime.Text(notice);
        var html = Mime.Html(notice);
        Assert.Contains("changed", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("changed", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("token=", text);
        Assert.DoesNotContain(NewPassword, notice.Raw);
        Assert.DoesNotContain(token, notice.Raw);
    }

    [Fact]
    public async Task Reset_ForAnUnverifiedAccount_Works_BecauseTheLinkProvesTheAddress()
    {
        var email = AuthClient.NewEmail();
        await client.SignupAsync(email);
        var token = await ResetTokenAsync(email);

        Assert.Equal(HttpStatusCode.NoContent, (await ResetAsync(token, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
    }
}

/// <summary>Auth:ResetPasswordTokenLifetime changes how long a reset link lives, and what the mail says about it.</summary>
public sealed class ResetPasswordLifetimeFlowTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;
    private AuthClient client = null!;

    public async Task InitializeAsync()
    {
        factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?> { ["Auth:ResetPasswordTokenLifetime"] = "00:10:00" });
        client = new AuthClient(factory);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private async Task<string> ResetTokenAsync(string email)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        return await client.TokenFromEmailAsync(email, "reset-password");
    }

    [Fact]
    public async Task Reset_ConfiguredLifetime_IsEnforced()
    {
        var early = await client.CreateVerifiedUserAsync();
        var late = await client.CreateVerifiedUserAsync();
        var earlyToken = await ResetTokenAsync(early);
        var lateToken = await ResetTokenAsync(late);

        factory.Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(HttpStatusCode.NoContent,
            (await client.PostJsonAsync("/auth/password/reset", new { token = earlyToken, newPassword = "within ten minutes passphrase" })).StatusCode);

        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await ProblemAssert.IsProblemAsync(
            await client.PostJsonAsync("/auth/password/reset", new { token = lateToken, newPassword = "after ten minutes passphrase" }),
            HttpStatusCode.BadRequest, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(late)).StatusCode);
    }

    [Fact]
    public async Task Reset_ConfiguredLifetime_TheMailStatesTheRealValidity()
    {
        var email = await client.CreateVerifiedUserAsync();
        await ResetTokenAsync(email);

        var mail = (await client.EmailsAsync(email)).First(e => MailLinks.ResetLink().IsMatch(e.GetProperty("text").GetString()!));
        var text = mail.GetProperty("text").GetString()!;
        // The link lives 10 minutes here; telling the user "1 hour" sends them to a dead link.
        Assert.DoesNotContain("1 hour", text);
        Assert.Contains("10 minutes", text);
    }
}
