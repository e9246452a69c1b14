using System.Net;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Telemetry;

namespace AuthService.Tests.Mfa;

/// <summary>auth.signin.attempts counts the MFA step: mfa_required for the password step, mfa_failed for a wrong code, succeeded for the session.</summary>
public sealed class MfaMetricsTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    private TelemetryCapture Capture => fixture.Capture;

    private double Count(string outcome) => Capture.Sum("auth.signin.attempts", "outcome", outcome);

    [Fact]
    public async Task SigninOutcomes_CountTheMfaStep()
    {
        var client = fixture.NewClient();
        var user = await MfaKit.TotpUserAsync(client);
        var (required, failed, succeeded) = (Count("mfa_required"), Count("mfa_failed"), Count("succeeded"));

        var token = await MfaKit.MfaTokenAsync(client, user.Email);
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(client, token, recoveryCode: "aaaa-bbbb-cccc-dddd"),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Equal(HttpStatusCode.OK, (await MfaKit.SigninMfaAsync(client, token, recoveryCode: user.RecoveryCodes[0])).StatusCode);

        Assert.Equal(required + 1, Count("mfa_required"));
        Assert.Equal(failed + 1, Count("mfa_failed"));
        Assert.Equal(succeeded + 1, Count("succeeded"));
    }
}
