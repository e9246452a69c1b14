using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Mfa;

/// <summary>
/// Signin with TOTP on: the password step answers an mfaToken only; POST /auth/signin/mfa takes a TOTP code (±1 step, each
/// step once) or a recovery code (once), and the mfaToken is single use, 5 minutes, void after 5 wrong codes.
/// </summary>
public sealed class MfaSigninTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();
    private TestClock Clock => fixture.Factory.Clock;

    [Fact]
    public async Task Signin_WithTotpOn_AnswersAnMfaToken_WithNoCookieAndNoAccessToken()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var response = await client.SigninRawAsync(user.Email);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(AuthClient.RefreshSetCookie(response));
        var body = await MfaKit.JsonAsync(response);
        Assert.True(body.GetProperty("mfaRequired").GetBoolean());
        Assert.Equal(["totp", "recovery_code"], body.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!));
        Assert.Matches("^[A-Za-z0-9_-]{43}$", body.GetProperty("mfaToken").GetString()!);
        Assert.False(body.TryGetProperty("accessToken", out _));
        Assert.False(body.TryGetProperty("user", out _));
        // The password step does not clear the email's count: only an issued session does.
        Assert.Equal(1, await MfaKit.FailureCountAsync(client, user.Email));
    }

    [Fact]
    public async Task SigninMfa_WithACode_GivesPwdOtpMfa_AndARefreshKeepsIt()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var signedIn = await MfaKit.SigninWithCodeAsync(client, user);
        Assert.Equal(["pwd", "otp", "mfa"], Jwt.Payload(signedIn.AccessToken)["amr"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.True(signedIn.Body.GetProperty("user").GetProperty("mfa").GetProperty("totp").GetBoolean());
        Assert.Null(await MfaKit.FailureCountAsync(client, user.Email)); // the session cleared the count

        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var again = await AuthClient.ReadSignedInAsync(refreshed);
        Assert.Equal(["pwd", "otp", "mfa"], Jwt.Payload(again.AccessToken)["amr"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Contains("mfa_succeeded", await MfaKit.AuditKindsAsync(client, user.Id));
    }

    [Fact]
    public async Task ACode_IsNeverAcceptedTwice_InTheSameStep()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var code = MfaKit.CurrentCode(user, Clock);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), code)).StatusCode);
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), code),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        // An earlier step's code is refused too once a later step was used.
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            MfaKit.CurrentCode(user, Clock, -1)), HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(1, true)]
    [InlineData(-2, false)]
    [InlineData(2, false)]
    public async Task OneStepOfDrift_IsAccepted_TwoAreNot(int offset, bool accepted)
    {
        var user = await MfaKit.TotpUserAsync(client);
        // Two steps on from the confirmation, so the step before is still unused.
        MfaKit.NextStep(Clock);
        MfaKit.NextStep(Clock);
        MfaKit.NextStep(Clock);
        var code = MfaKit.CurrentCode(user, Clock, offset);
        if (!accepted && new[] { -1, 0, 1 }.Any(o => MfaKit.CurrentCode(user, Clock, o) == code)) return; // a 1-in-10^6 collision
        var response = await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), code);
        if (accepted) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        else await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task ClockEdges_TheLastSecondOfAStep_AndTheFirstOfTheNext()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        MfaKit.NextStep(Clock);
        var start = Clock.GetUtcNow(); // the first second of step s
        var s = Rfc6238.Step(start);
        Clock.Set(start.AddSeconds(29)); // the last second of step s
        Assert.Equal(s, Rfc6238.Step(Clock.GetUtcNow()));
        var codeOfS = Rfc6238.Code(user.Secret, s);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), codeOfS)).StatusCode);

        Clock.Set(start.AddSeconds(30)); // the first second of step s+1: s is the previous step now, and used
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), codeOfS),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            Rfc6238.Code(user.Secret, s + 1))).StatusCode);
        // s+2 is the next step: within the window one second into s+1, so still accepted.
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            Rfc6238.Code(user.Secret, s + 2))).StatusCode);
    }

    [Fact]
    public async Task ARecoveryCode_WorksOnce_InAnyCaseWithOrWithoutHyphens()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var typed = user.RecoveryCodes[0].Replace("-", "").ToUpperInvariant();
        var first = await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), recoveryCode: typed);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var signedIn = await AuthClient.ReadSignedInAsync(first);
        Assert.Equal(["pwd", "otp", "mfa"], Jwt.Payload(signedIn.AccessToken)["amr"]!.AsArray().Select(a => a!.GetValue<string>()));

        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            recoveryCode: user.RecoveryCodes[0]), HttpStatusCode.Unauthorized, "mfa_invalid");
        // Another code still works, also as `code`.
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email),
            user.RecoveryCodes[1])).StatusCode);
    }

    [Fact]
    public async Task TheMfaToken_IsSingleUse()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var token = await MfaKit.MfaTokenAsync(client, user.Email);
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[0])).StatusCode);
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[1]),
            HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task TheMfaToken_ExpiresAfterFiveMinutes()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var token = await MfaKit.MfaTokenAsync(client, user.Email);
        Clock.Advance(TimeSpan.FromMinutes(5).Add(TimeSpan.FromSeconds(1)));
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.Unauthorized, "mfa_invalid");

        var fresh = await MfaKit.MfaTokenAsync(client, user.Email);
        Clock.Advance(TimeSpan.FromMinutes(4).Add(TimeSpan.FromSeconds(59)));
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, fresh, recoveryCode: user.RecoveryCodes[0])).StatusCode);
    }

    [Fact]
    public async Task FiveWrongCodes_VoidTheToken_AndEachCountsTowardTheLockout()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var token = await MfaKit.MfaTokenAsync(client, user.Email); // attempt 1 (the password)
        var right = MfaKit.CurrentCode(user, Clock);
        var wrong = Enumerable.Range(0, 10).Select(i => $"00000{i}").First(c => new[] { -1, 0, 1 }.All(o => MfaKit.CurrentCode(user, Clock, o) != c));
        for (var i = 1; i <= 5; i++)
        {
            await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, wrong), HttpStatusCode.Unauthorized, "mfa_invalid");
            Assert.Equal(1 + i, await MfaKit.FailureCountAsync(client, user.Email));
        }
        await using (var conn = client.OpenDatabase())
            Assert.Equal(5, await conn.QuerySingleAsync<int>("SELECT failures FROM mfa_challenges WHERE user_id = @Id", new { user.Id }));
        // Void: even the right code is refused now (and not counted: the token is unknown before any check).
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, right), HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(6, await MfaKit.FailureCountAsync(client, user.Email));
        Assert.Contains("mfa_failed", await MfaKit.AuditKindsAsync(client, user.Id));

        // The right code works with a new token (that step was never used), and the session clears the count.
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, await MfaKit.MfaTokenAsync(client, user.Email), right)).StatusCode);
        Assert.Null(await MfaKit.FailureCountAsync(client, user.Email));
    }

    [Fact]
    public async Task WrongCodes_LockTheEmail_AfterMaxFailures()
    {
        var user = await MfaKit.TotpUserAsync(client);
        var token = await MfaKit.MfaTokenAsync(client, user.Email); // attempt 1
        for (var attempt = 2; attempt <= 10; attempt++)
        {
            if (attempt % 5 == 0) { token = await MfaKit.MfaTokenAsync(client, user.Email); continue; } // a password step counts too
            var response = await MfaKit.SigninMfaAsync(client, token, recoveryCode: "aaaa-aaaa-aaaa-aaaa");
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "mfa_invalid");
        }
        Assert.Equal(10, await MfaKit.FailureCountAsync(client, user.Email));
        // Locked (default MaxFailures 10): the next code is refused unchecked, as is the password step.
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.TooManyRequests, "account_locked");
        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(user.Email), HttpStatusCode.TooManyRequests, "account_locked");
    }

    [Fact]
    public async Task TurningTotpOff_MakesSigninPasswordOnlyAgain()
    {
        var user = await MfaKit.TotpUserAsync(client);
        MfaKit.NextStep(Clock);
        var off = await client.SendWithBearerAsync(HttpMethod.Delete, "/auth/mfa/totp", user.Session.AccessToken,
            new { password = AuthClient.DefaultPassword, code = MfaKit.CurrentCode(user, Clock) });
        Assert.Equal(HttpStatusCode.NoContent, off.StatusCode);
        var signedIn = await client.SigninAsync(user.Email);
        Assert.Equal(["pwd"], Jwt.Payload(signedIn.AccessToken)["amr"]!.AsArray().Select(a => a!.GetValue<string>()));
    }
}
