using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Admin;

/// <summary>Who may call /admin/*: admins by their current roles; others 403 forbidden; no bearer 401.</summary>
public sealed class AdminAccessTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AdminKit kit = new(fixture.Factory);

    [Fact]
    public async Task NoBearer_Is401Unauthorized_NonAdmin_Is403Forbidden_Admin_Is200NoStore()
    {
        var user = await kit.UserAsync("support");
        var admin = await kit.AdminAsync();

        await ProblemAssert.IsProblemAsync(await kit.Client.Http.GetAsync("/admin/users"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await kit.Client.GetWithBearerAsync("/admin/users", "not-a-token"), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(user.SignedIn, HttpMethod.Get, "/admin/users"), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(user.SignedIn, HttpMethod.Post, $"/admin/users/{admin.Id}/disable"),
            HttpStatusCode.Forbidden, "forbidden");
        var ok = await kit.SendAsync(admin.SignedIn, HttpMethod.Get, $"/admin/users/{user.Id}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True(ok.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task AdminRoleRemoved_IsRefusedWithinASecond_ThoughTheTokenStillSaysAdmin()
    {
        var admin = await kit.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users")).StatusCode);

        await using (var conn = kit.Client.OpenDatabase())
            await conn.ExecuteAsync("UPDATE users SET roles = '{}' WHERE id = @Id", new { admin.Id });

        Assert.Equal("""["admin"]""", Jwt.Payload(admin.SignedIn.AccessToken)["roles"]!.ToJsonString());
        // Changed in SQL, not through the service: it shows through the change notification, within the contract's 1 s.
        await Wait.UntilAsync(async () => (await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users")).StatusCode == HttpStatusCode.Forbidden,
            "the removed role to show", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(10));
        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users"), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task DisabledAdmin_IsRefusedAtOnce()
    {
        var admin = await kit.AdminAsync();
        var other = await kit.AdminAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(other.SignedIn, HttpMethod.Post, $"/admin/users/{admin.Id}/disable")).StatusCode);

        await ProblemAssert.IsProblemAsync(await kit.SendAsync(admin.SignedIn, HttpMethod.Get, "/admin/users"), HttpStatusCode.Unauthorized, "unauthorized");
    }
}
