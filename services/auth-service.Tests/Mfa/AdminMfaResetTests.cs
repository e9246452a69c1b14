using System.Net;
using AuthService.Tests.Admin;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Mfa;

/// <summary>DELETE /admin/users/{id}/mfa: a lost device; the user's TOTP, recovery codes and passkeys go, audited with the admin.</summary>
public sealed class AdminMfaResetTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AdminKit kit = new(fixture.Factory);
    private AuthClient Client => kit.Client;

    [Fact]
    public async Task AdminReset_RemovesEveryFactor_AuditsTheAdmin_AndMailsTheOwner()
    {
        var admin = await kit.AdminAsync();
        var user = await MfaKit.TotpUserAsync(Client);
        await using (var conn = Client.OpenDatabase())
        {
            await conn.ExecuteAsync("""
                INSERT INTO passkeys (id, user_id, credential_id, public_key, sign_count, name, created_at)
                VALUES (gen_random_uuid(), @Id, '\x0102'::bytea, '\x0304'::bytea, 0, 'phone', now());
                UPDATE users SET passkey_count = 1 WHERE id = @Id
                """, new { user.Id });
        }
        var pending = await MfaKit.MfaTokenAsync(Client, user.Email);

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, $"/admin/users/{user.Id}/mfa")).StatusCode);

        await using (var conn = Client.OpenDatabase())
        {
            var left = await conn.QuerySingleAsync<(long Totp, long Codes, long Passkeys, bool Enabled, int Count)>("""
                SELECT (SELECT count(*) FROM totp_secrets WHERE user_id = @Id), (SELECT count(*) FROM recovery_codes WHERE user_id = @Id),
                       (SELECT count(*) FROM passkeys WHERE user_id = @Id), totp_enabled, passkey_count
                FROM users WHERE id = @Id
                """, new { user.Id });
            Assert.Equal((0L, 0L, 0L, false, 0), left);
            var actor = await conn.QuerySingleAsync<Guid?>(
                "SELECT actor_id FROM audit_events WHERE user_id = @Id AND kind = 'admin_user_mfa_reset'", new { user.Id });
            Assert.Equal(admin.Id, actor);
        }
        var mails = await Client.WaitForEmailsAsync(user.Email, 3);
        Assert.Contains(mails, m => m.GetProperty("subject").GetString()!.Contains("second factors"));

        // The pending MFA signin is void, and signin is password-only again.
        await ProblemAssert.IsProblemAsync(await MfaKit.SigninMfaAsync(Client, pending, recoveryCode: user.RecoveryCodes[0]),
            HttpStatusCode.Unauthorized, "mfa_invalid");
        var signedIn = await Client.SigninAsync(user.Email);
        var me = signedIn.Body.GetProperty("user").GetProperty("mfa");
        Assert.False(me.GetProperty("totp").GetBoolean());
        Assert.Equal(0, me.GetProperty("passkeys").GetInt32());
    }

    [Fact]
    public async Task NonAdmin_Gets403_AndNothingChanges()
    {
        var caller = await kit.UserAsync();
        var user = await MfaKit.TotpUserAsync(Client);
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(caller.SignedIn, HttpMethod.Delete, $"/admin/users/{user.Id}/mfa"),
            HttpStatusCode.Forbidden, "forbidden");
        var me = await MfaKit.JsonAsync(await Client.GetWithBearerAsync("/auth/me", user.Session.AccessToken));
        Assert.True(me.GetProperty("mfa").GetProperty("totp").GetBoolean());
    }

    [Fact]
    public async Task UnknownUser_Is404()
    {
        var admin = await kit.AdminAsync();
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, $"/admin/users/{Guid.NewGuid()}/mfa"),
            HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, "/admin/users/not-a-uuid/mfa"),
            HttpStatusCode.NotFound, "not_found");
    }
}
