using System.Net;
using AuthService.Tests.Admin;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Mfa;

/// <summary>
/// A pending mfaToken is half a session: whatever revokes a user's sessions voids it too, and the account is re-checked
/// (disabled, unverified) when the code comes, not only at the password step.
/// </summary>
public sealed class MfaTokenVoidingTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AdminKit kit = new(fixture.Factory);
    private AuthClient Client => kit.Client;

    [Fact]
    public async Task APasswordChange_VoidsAPendingMfaToken()
    {
        var user = await MfaKit.TotpUserAsync(Client);
        var pending = await MfaKit.MfaTokenAsync(Client, user.Email);
        MfaKit.NextStep(fixture.Factory.Clock);
        var changed = await Client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", user.Session.AccessToken,
            new { currentPassword = AuthClient.DefaultPassword, newPassword = "another perfectly fine passphrase 43", code = MfaKit.CurrentCode(user, fixture.Factory.Clock) });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(Client, pending, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task LogoutEverywhere_VoidsAPendingMfaToken()
    {
        var user = await MfaKit.TotpUserAsync(Client);
        var pending = await MfaKit.MfaTokenAsync(Client, user.Email);
        Assert.Equal(HttpStatusCode.NoContent,
            (await Client.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", user.Session.AccessToken)).StatusCode);

        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(Client, pending, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task DisablingAndReenablingTheAccount_DoesNotReviveAPendingMfaToken()
    {
        var admin = await kit.AdminAsync();
        var user = await MfaKit.TotpUserAsync(Client);
        var pending = await MfaKit.MfaTokenAsync(Client, user.Email);
        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/disable")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/enable")).StatusCode);

        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(Client, pending, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task AnAccountUnverifiedByAnAdmin_AfterThePasswordStep_GetsNoSession()
    {
        var admin = await kit.AdminAsync();
        var user = await MfaKit.TotpUserAsync(Client);
        var pending = await MfaKit.MfaTokenAsync(Client, user.Email);
        var patched = await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}", new { emailVerified = false });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        var response = await MfaKit.SigninMfaAsync(Client, pending, recoveryCode: user.RecoveryCodes[0]);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "mfa_invalid");
        Assert.Null(AuthClient.RefreshSetCookie(response));
    }
}
