using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Mfa;

/// <summary>What needs a second-factor code once TOTP is on: turning it off, new recovery codes, password change, deleting the account.</summary>
public sealed class MfaSensitiveOperationTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const string NewPassword = "another perfectly fine passphrase 43";
    private readonly AuthClient client = fixture.NewClient();
    private TestClock Clock => fixture.Factory.Clock;

    private Task<HttpResponseMessage> DisableAsync(TotpUser user, object body) =>
        client.SendWithBearerAsync(HttpMethod.Delete, "/auth/mfa/totp", user.Session.AccessToken, body);

    private string WrongCode(TotpUser user) =>
        Enumerable.Range(0, 10).Select(i => $"12345{i}").First(c => new[] { -1, 0, 1 }.All(o => MfaKit.CurrentCode(user, Clock, o) != c));

    [Fact]
    public async Task TurningOff_NeedsThePasswordAndACode()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var problem = await ProblemAssert.IsProblemAsync(await DisableAsync(user, new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "password"));
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "code"));

        await ProblemAssert.IsProblemAsync(await DisableAsync(user, new { password = "not the password at all", code = MfaKit.CurrentCode(user, Clock) }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
        await ProblemAssert.IsProblemAsync(await DisableAsync(user, new { password = AuthClient.DefaultPassword, code = WrongCode(user) }),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(2, await MfaKit.FailureCountAsync(client, user.Email)); // both counted toward the lockout (plus no signin since)
        var kinds = await MfaKit.AuditKindsAsync(client, user.Id);
        Assert.Contains("totp_disable_failed", kinds);
        Assert.Contains("mfa_failed", kinds);

        // A recovery code will do as well as a TOTP code.
        Assert.Equal(HttpStatusCode.NoContent, (await DisableAsync(user, new { password = AuthClient.DefaultPassword, code = user.RecoveryCodes[0] })).StatusCode);
        var me = await MfaKit.JsonAsync(await client.GetWithBearerAsync("/auth/me", user.Session.AccessToken));
        Assert.False(me.GetProperty("mfa").GetProperty("totp").GetBoolean());
        Assert.Contains("totp_disabled", await MfaKit.AuditKindsAsync(client, user.Id));
        var mails = await client.WaitForEmailsAsync(user.Email, 3);
        Assert.Contains(mails, m => m.GetProperty("subject").GetString()!.Contains("Two-step verification is off"));
        await using var conn = client.OpenDatabase();
        Assert.Equal(0L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(conn,
            "SELECT (SELECT count(*) FROM totp_secrets WHERE user_id = @Id) + (SELECT count(*) FROM recovery_codes WHERE user_id = @Id)", new { user.Id }));

        // Off: a second time is 409, and the recovery codes are void with it (TOTP on again later has new ones).
        await ProblemAssert.IsProblemAsync(await DisableAsync(user, new { password = AuthClient.DefaultPassword, code = user.RecoveryCodes[1] }),
            HttpStatusCode.Conflict, "totp_not_enabled");
    }

    [Fact]
    public async Task NewRecoveryCodes_NeedACode_AndVoidTheOldOnes()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", user.Session.AccessToken,
            new { code = WrongCode(user) }), HttpStatusCode.Unauthorized, "mfa_invalid");
        var response = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", user.Session.AccessToken,
            new { code = MfaKit.CurrentCode(user, Clock) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var fresh = (await MfaKit.JsonAsync(response)).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(10, fresh.Length);
        Assert.Empty(fresh.Intersect(user.RecoveryCodes));

        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            recoveryCode: user.RecoveryCodes[0]), HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            recoveryCode: fresh[0])).StatusCode);
        Assert.Contains("recovery_codes_regenerated", await MfaKit.AuditKindsAsync(client, user.Id));
        var mails = await client.WaitForEmailsAsync(user.Email, 3);
        Assert.Contains(mails, m => m.GetProperty("subject").GetString()!.Contains("New recovery codes"));
    }

    [Fact]
    public async Task PasswordChange_NeedsACode_WhenTotpIsOn()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var problem = await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change",
            user.Session.AccessToken, new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword }),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "code"));

        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", user.Session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword, code = WrongCode(user) }),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(1, await MfaKit.FailureCountAsync(client, user.Email));

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", user.Session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword, code = MfaKit.CurrentCode(user, Clock) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(user.Email, NewPassword)).StatusCode);
    }

    [Fact]
    public async Task PasswordChange_WithoutTotp_IgnoresCode()
    {
        var session = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = NewPassword })).StatusCode);
    }

    [Fact]
    public async Task DeleteMe_NeedsACode_WhenTotpIsOn()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var problem = await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Delete, "/auth/me", user.Session.AccessToken,
            new { password = AuthClient.DefaultPassword }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "code"));
        await ProblemAssert.IsProblemAsync(await client.SendWithBearerAsync(HttpMethod.Delete, "/auth/me", user.Session.AccessToken,
            new { password = AuthClient.DefaultPassword, code = WrongCode(user) }), HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(1, await MfaKit.FailureCountAsync(client, user.Email));

        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Delete, "/auth/me", user.Session.AccessToken,
            new { password = AuthClient.DefaultPassword, code = user.RecoveryCodes[0] })).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(user.Email), HttpStatusCode.Unauthorized, "invalid_credentials");
    }
}
