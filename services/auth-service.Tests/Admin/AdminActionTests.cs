using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Admin;

/// <summary>Create, change, disable/enable, logout and delete, with their audit rows and the self-protection rules.</summary>
public sealed class AdminActionTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AdminKit kit = new(fixture.Factory);

    private async Task<(Guid? ActorId, Guid? UserId)> LastAuditAsync(string kind, Guid userId)
    {
        await using var conn = kit.Client.OpenDatabase();
        return await conn.QuerySingleAsync<(Guid?, Guid?)>(
            "SELECT actor_id, user_id FROM audit_events WHERE kind = @kind AND user_id = @userId ORDER BY id DESC LIMIT 1", new { kind, userId });
    }

    [Fact]
    public async Task Disable_RevokesEverySession_SigninIs403AfterThePasswordCheck_ThenEnableLetsItBack()
    {
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/disable")).StatusCode);

        await ProblemAssert.IsProblemAsync(await kit.Client.GetWithBearerAsync("/auth/me", user.SignedIn.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await kit.Client.RefreshAsync(user.SignedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await kit.Client.SigninRawAsync(user.Email), HttpStatusCode.Forbidden, "account_disabled");
        await ProblemAssert.IsProblemAsync(await kit.Client.SigninRawAsync(user.Email, "a wrong but long passphrase"), HttpStatusCode.Unauthorized, "invalid_credentials");
        var shown = await AdminKit.JsonAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, $"/admin/users/{user.Id}"));
        Assert.True(shown.GetProperty("disabled").GetBoolean());
        Assert.Equal(0, shown.GetProperty("activeSessions").GetInt32());
        Assert.Equal((admin.Id, user.Id), await LastAuditAsync("admin_user_disabled", user.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/enable")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await kit.Client.SigninRawAsync(user.Email)).StatusCode);
        Assert.Equal((admin.Id, user.Id), await LastAuditAsync("admin_user_enabled", user.Id));
    }

    [Fact]
    public async Task TwoAdminsDisablingAtOnce_BothSucceed_OneDisabledInstant()
    {
        var first = await kit.AdminAsync();
        var second = await kit.AdminAsync();
        var user = await kit.UserAsync();

        var answers = await Task.WhenAll(
            kit.SendAsync(first.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/disable"),
            kit.SendAsync(second.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/disable"));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NoContent, a.StatusCode));
        await ProblemAssert.IsProblemAsync(await kit.Client.SigninRawAsync(user.Email), HttpStatusCode.Forbidden, "account_disabled");
    }

    [Fact]
    public async Task Logout_RevokesEverySession()
    {
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();
        var second = await kit.Client.SigninAsync(user.Email);

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/logout")).StatusCode);

        await ProblemAssert.IsProblemAsync(await kit.Client.RefreshAsync(user.SignedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await kit.Client.RefreshAsync(second.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Equal(HttpStatusCode.OK, (await kit.Client.SigninRawAsync(user.Email)).StatusCode); // not disabled
        Assert.Equal((admin.Id, user.Id), await LastAuditAsync("admin_user_logged_out", user.Id));
    }

    [Fact]
    public async Task AnAdmin_CannotDisableDeleteOrUnadminThemselves()
    {
        var admin = await kit.AdminAsync();

        var disable = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{admin.Id}/disable"),
            HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["own_account"], ProblemAssert.FieldErrors(disable, "id"));
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, $"/admin/users/{admin.Id}"),
            HttpStatusCode.BadRequest, "validation_failed");
        var patch = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{admin.Id}",
            new { roles = new[] { "support" } }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["own_admin_role"], ProblemAssert.FieldErrors(patch, "roles"));

        Assert.Equal(HttpStatusCode.OK, (await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users")).StatusCode);
    }

    [Fact]
    public async Task Patch_ChangesRolesAndName_TheNextRefreshCarriesTheRoles_BadRolesAre400()
    {
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();

        var patched = await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}",
            new { roles = new[] { "support", "admin", "support" }, displayName = "  Grace  " });

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await AdminKit.JsonAsync(patched);
        Assert.Equal(["admin", "support"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("Grace", body.GetProperty("displayName").GetString());
        var refreshed = await AuthClient.ReadSignedInAsync(await kit.Client.RefreshAsync(user.SignedIn.RefreshToken));
        Assert.Equal("""["admin","support"]""", Jwt.Payload(refreshed.AccessToken)["roles"]!.ToJsonString());
        Assert.Equal((admin.Id, user.Id), await LastAuditAsync("admin_user_updated", user.Id));

        var bad = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}",
            new { roles = new[] { "Admin" } }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["invalid_format"], ProblemAssert.FieldErrors(bad, "roles"));
        var many = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}",
            new { roles = Enumerable.Range(0, 33).Select(i => $"r{i}").ToArray() }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["too_many"], ProblemAssert.FieldErrors(many, "roles"));
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}",
            new { isAdmin = true }), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task ConcurrentPatches_EachLandsWhole()
    {
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => kit.SendAsync(admin.SignedIn, HttpMethod.Patch,
            $"/admin/users/{user.Id}", new { roles = new[] { $"team{i}", $"level{i}" } })));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var roles = (await AdminKit.JsonAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, $"/admin/users/{user.Id}")))
            .GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(2, roles.Count);
        Assert.Equal(roles[0][^1], roles[1][^1]); // one patch's set, never a mix
    }

    [Fact]
    public async Task Create_Answers201WithLocation_ThenSigninWorks_SecondCreateIs409EmailTaken()
    {
        var admin = await kit.AdminAsync();
        var email = AuthClient.NewEmail("created");

        var created = await kit.SendAsync(admin.SignedIn, HttpMethod.Post, "/admin/users",
            new { email = email.ToUpperInvariant(), password = AuthClient.DefaultPassword, roles = new[] { "support" }, emailVerified = true });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await AdminKit.JsonAsync(created);
        Assert.Equal(email, body.GetProperty("email").GetString());
        Assert.Equal($"/admin/users/{body.GetProperty("id").GetString()}", created.Headers.Location?.ToString());
        Assert.DoesNotContain("password", await created.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var signedIn = await kit.Client.SigninAsync(email);
        Assert.Equal("""["support"]""", Jwt.Payload(signedIn.AccessToken)["roles"]!.ToJsonString());

        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Post, "/admin/users",
            new { email, password = AuthClient.DefaultPassword }), HttpStatusCode.Conflict, "email_taken");
        var weak = await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Post, "/admin/users",
            new { email = AuthClient.NewEmail("weak"), password = "short" }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Contains("too_short", ProblemAssert.FieldErrors(weak, "password"));
    }

    [Fact]
    public async Task Create_WithoutPassword_MailsAnInvitation_WhoseResetLinkSetsThePassword()
    {
        var admin = await kit.AdminAsync();
        var email = AuthClient.NewEmail("invited");

        var created = await kit.SendAsync(admin.SignedIn, HttpMethod.Post, "/admin/users",
            new { email, displayName = "Grace Hopper", roles = new[] { "support" } });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ProblemAssert.IsProblemAsync(await kit.Client.SigninRawAsync(email), HttpStatusCode.Unauthorized, "invalid_credentials");
        var mail = Assert.Single(await kit.Client.WaitForEmailsAsync(email, 1));
        Assert.Contains("invited", mail.GetProperty("subject").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("7 days", mail.GetProperty("text").GetString());
        var token = await kit.Client.TokenFromEmailAsync(email, "reset-password");
        Assert.Equal(HttpStatusCode.NoContent, (await kit.Client.PostJsonAsync("/auth/password/reset",
            new { token, newPassword = AuthClient.DefaultPassword })).StatusCode);
        var signedIn = await kit.Client.SigninAsync(email); // the link proved the address
        Assert.Equal("""["support"]""", Jwt.Payload(signedIn.AccessToken)["roles"]!.ToJsonString());
        // The name the admin gave is kept: only a name from an unconfirmed signup is dropped when a reset verifies the address.
        Assert.Equal("Grace Hopper", signedIn.Body.GetProperty("user").GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task Delete_RemovesTheUserAndSessions_AuditKeepsEventsWithoutPersonalData()
    {
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, $"/admin/users/{user.Id}")).StatusCode);

        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, $"/admin/users/{user.Id}"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await kit.Client.RefreshAsync(user.SignedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await using var conn = kit.Client.OpenDatabase();
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM sessions WHERE user_id = @Id", new { user.Id }));
        // Of the mails to the address only the goodbye is left (the self-service deletion's erasure).
        var mails = (await conn.QueryAsync<string>("SELECT subject FROM outbox_emails WHERE \"to\" = @Email", new { user.Email })).ToList();
        Assert.EndsWith("account was deleted", Assert.Single(mails));
        var events = (await conn.QueryAsync<(string Kind, string? Ip, string? UserAgent, string? Details)>(
            "SELECT kind, ip, user_agent, details::text FROM audit_events WHERE user_id = @Id", new { user.Id })).ToList();
        Assert.Contains(events, e => e.Kind == "signin_succeeded");
        Assert.Contains(events, e => e.Kind == "admin_user_deleted");
        Assert.All(events.Where(e => e.Kind != "admin_user_deleted"), e => Assert.Null(e.Ip));
        Assert.All(events, e => Assert.DoesNotContain(user.Email, e.Details ?? ""));
        Assert.Equal((admin.Id, user.Id), await LastAuditAsync("admin_user_deleted", user.Id));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || @Email || '%'", new { user.Email }));
    }
}
