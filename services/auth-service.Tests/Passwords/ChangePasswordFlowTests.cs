using System.Net;
using AuthService.Tests.Accounts;
using AuthService.Tests.Email;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Passwords;

/// <summary>POST /auth/password/change (bearer) {currentPassword, newPassword}: 204, the caller's session survives, the others do not.</summary>
public sealed class ChangePasswordFlowTests(SmtpServiceFixture fixture) : IClassFixture<SmtpServiceFixture>
{
    private const string NewPassword = "the passphrase after the change 5";

    private readonly AuthClient client = fixture.NewClient();

    private Task<HttpResponseMessage> ChangeAsync(string accessToken, object body) =>
        client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", accessToken, body);

    private Task<HttpResponseMessage> ChangeAsync(string accessToken, string? currentPassword, string? newPassword) =>
        ChangeAsync(accessToken, new { currentPassword, newPassword });

    private async Task<string> PasswordHashAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email }) ?? "";
    }

    [Fact]
    public async Task Change_Valid_204_NewPasswordSignsIn_OldOneFails()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);

        var response = await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword, NewPassword);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, AuthClient.DefaultPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    [Fact]
    public async Task Change_KeepsTheCallersSession_RevokesEveryOtherSession()
    {
        var email = await client.CreateVerifiedUserAsync();
        var caller = await client.SigninAsync(email);
        var other = await client.SigninAsync(email);
        var third = await client.SigninAsync(email);
        var otherRotated = AuthClient.RefreshCookieValue(await client.RefreshAsync(other.RefreshToken))!;

        Assert.Equal(HttpStatusCode.NoContent, (await ChangeAsync(caller.AccessToken, AuthClient.DefaultPassword, NewPassword)).StatusCode);

        // The caller's session goes on: bearer and refresh cookie both work.
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", caller.AccessToken)).StatusCode);
        var refreshed = await client.RefreshAsync(caller.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var callerNext = await AuthClient.ReadSignedInAsync(refreshed);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(callerNext.RefreshToken)).StatusCode);

        // Every other session is gone, however far it had rotated.
        foreach (var cookie in new[] { otherRotated, third.RefreshToken })
            await ProblemAssert.IsProblemAsync(await client.RefreshAsync(cookie), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        foreach (var access in new[] { other.AccessToken, third.AccessToken })
            await ProblemAssert.IsProblemAsync(await client.GetWithBearerAsync("/auth/me", access), HttpStatusCode.Unauthorized, "unauthorized");

        var sessions = await TestJson.ReadAsync(await client.GetWithBearerAsync("/auth/sessions", callerNext.AccessToken));
        var only = Assert.Single(sessions.EnumerateArray());
        Assert.True(only.GetProperty("current").GetBoolean());
    }

    [Fact]
    public async Task Change_WrongCurrentPassword_Is401InvalidCredentials_AndNothingChanges()
    {
        var email = await client.CreateVerifiedUserAsync();
        var caller = await client.SigninAsync(email);
        var other = await client.SigninAsync(email);
        var hash = await PasswordHashAsync(email);
        var mailsBefore = (await client.EmailsAsync(email)).Length;

        var problem = await ProblemAssert.IsProblemAsync(
            await ChangeAsync(caller.AccessToken, "not my current passphrase at all", NewPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        Assert.DoesNotContain(NewPassword, problem.ToString());
        Assert.DoesNotContain("not my current passphrase", problem.ToString());
        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, NewPassword)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(other.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", caller.AccessToken)).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        Assert.Equal(mailsBefore, (await client.EmailsAsync(email)).Length); // no "password changed" mail
    }

    public static TheoryData<string, string> PolicyViolations() => new()
    {
        { "too short", "too_short" },
        { new string('y', 129), "too_long" },
        { "passwordpassword", "too_common" },
        { "my {local} is my passphrase", "contains_email" },
    };

    [Theory]
    [MemberData(nameof(PolicyViolations))]
    public async Task Change_PasswordAgainstPolicy_IsValidationFailed_AndNothingChanges(string newPassword, string code)
    {
        var email = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("walrus"));
        newPassword = newPassword.Replace("{local}", email.Split('@')[0]);
        var caller = await client.SigninAsync(email);
        var other = await client.SigninAsync(email);
        var hash = await PasswordHashAsync(email);

        var problem = await ProblemAssert.IsProblemAsync(
            await ChangeAsync(caller.AccessToken, AuthClient.DefaultPassword, newPassword), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal([code], ProblemAssert.FieldErrors(problem, "newPassword"));
        Assert.DoesNotContain(newPassword, problem.ToString());
        Assert.Equal(hash, await PasswordHashAsync(email));
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(other.RefreshToken)).StatusCode);
    }

    [Fact]
    public async Task Change_MissingFields_AreValidationFailed()
    {
        var session = await client.SignupAndSigninAsync();

        var both = await ProblemAssert.IsProblemAsync(await ChangeAsync(session.AccessToken, new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(both, "currentPassword"));
        Assert.Equal(["required"], ProblemAssert.FieldErrors(both, "newPassword"));

        var noNew = await ProblemAssert.IsProblemAsync(
            await ChangeAsync(session.AccessToken, new { currentPassword = AuthClient.DefaultPassword }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(noNew, "newPassword"));
    }

    [Fact]
    public async Task Change_WithoutBearer_Is401Unauthorized()
    {
        var response = await client.PostJsonAsync("/auth/password/change", new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Change_WithTheBearerOfARevokedSession_Is401Unauthorized_AndNothingChanges()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(session.RefreshToken)).StatusCode);

        await ProblemAssert.IsProblemAsync(
            await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword, NewPassword), HttpStatusCode.Unauthorized, "unauthorized");

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task Change_MailsTheOwner_ThroughSmtp()
    {
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);

        Assert.Equal(HttpStatusCode.NoContent, (await ChangeAsync(session.AccessToken, AuthClient.DefaultPassword, NewPassword)).StatusCode);

        var notice = await fixture.WaitForMailAsync(email, m => m.Subject.Contains("changed", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(SmtpServiceFixture.ProductName, notice.Subject);
        Assert.Contains("changed", Mime.Text(notice), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("changed", Mime.Html(notice), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(NewPassword, notice.Raw);
        Assert.DoesNotContain(AuthClient.DefaultPassword, notice.Raw);
    }
}
