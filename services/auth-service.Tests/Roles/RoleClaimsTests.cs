using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Roles;

/// <summary>Roles in the user object and in access tokens, as a downstream JwtBearer host reads them.</summary>
public sealed class RoleClaimsTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private AuthServiceFactory Auth => fixture.Factory;

    private async Task SetRolesAsync(AuthClient client, string email, params string[] roles)
    {
        await using var conn = client.OpenDatabase();
        Assert.Equal(1, await conn.ExecuteAsync("UPDATE users SET roles = @roles WHERE email = @email", new { roles, email }));
    }

    private static string[] Roles(JsonElement element) => [.. element.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!)];

    [Fact]
    public async Task Signin_TokenAndUser_CarryEmptyRolesArrayAndPwdAmr()
    {
        var client = new AuthClient(Auth);
        var signedIn = await client.SignupAndSigninAsync();

        var claims = Jwt.Payload(signedIn.AccessToken);
        Assert.Equal("[]", claims["roles"]!.ToJsonString());
        Assert.Equal("""["pwd"]""", claims["amr"]!.ToJsonString());
        Assert.Empty(Roles(signedIn.Body.GetProperty("user")));
        var me = await (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Array, me.GetProperty("roles").ValueKind);
    }

    [Fact]
    public async Task Signin_SetsLastSigninAt()
    {
        var client = new AuthClient(Auth);
        var email = await client.CreateVerifiedUserAsync();
        await client.SigninAsync(email);

        await using var conn = client.OpenDatabase();
        var at = await conn.ExecuteScalarAsync<DateTime?>("SELECT last_signin_at FROM users WHERE email = @email", new { email });
        Assert.NotNull(at);
    }

    [Fact]
    public async Task Downstream_RequireRoleAdmin_AcceptsAdminsToken_RefusesOthersWith403()
    {
        Auth.Clock.Set(DateTimeOffset.UtcNow); // the downstream host validates on real time
        var client = new AuthClient(Auth);
        var adminEmail = await client.CreateVerifiedUserAsync();
        await SetRolesAsync(client, adminEmail, "admin", "billing:read");
        var admin = await client.SigninAsync(adminEmail);
        var other = await client.SignupAndSigninAsync();
        await using var downstream = await DownstreamApi.StartAsync(Auth);

        var allowed = await downstream.AdminOnlyAsync(admin.AccessToken);
        var refused = await downstream.AdminOnlyAsync(other.AccessToken);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(admin.Body.GetProperty("user").GetProperty("id").GetString(), await allowed.Content.ReadAsStringAsync()); // NameClaimType "sub"
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(["admin", "billing:read"], Roles(admin.Body.GetProperty("user")));
    }

    [Fact]
    public async Task RoleGranted_ShowsAtTheNextRefresh_AndRevokedDisappears()
    {
        Auth.Clock.Set(DateTimeOffset.UtcNow);
        var client = new AuthClient(Auth);
        var email = await client.CreateVerifiedUserAsync();
        var signedIn = await client.SigninAsync(email);
        await using var downstream = await DownstreamApi.StartAsync(Auth);
        Assert.Equal(HttpStatusCode.Forbidden, (await downstream.AdminOnlyAsync(signedIn.AccessToken)).StatusCode);

        await SetRolesAsync(client, email, "admin");
        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var granted = await AuthClient.ReadSignedInAsync(refreshed);

        Assert.Equal("""["admin"]""", Jwt.Payload(granted.AccessToken)["roles"]!.ToJsonString());
        Assert.Equal(["admin"], Roles(granted.Body.GetProperty("user")));
        Assert.Equal(HttpStatusCode.OK, (await downstream.AdminOnlyAsync(granted.AccessToken)).StatusCode);

        await SetRolesAsync(client, email);
        var revoked = await AuthClient.ReadSignedInAsync(await client.RefreshAsync(granted.RefreshToken));
        Assert.Equal("[]", Jwt.Payload(revoked.AccessToken)["roles"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.Forbidden, (await downstream.AdminOnlyAsync(revoked.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task RefreshFunctionV2_StaysInstalled_ForThePreviousRelease()
    {
        var client = new AuthClient(Auth);
        await using var conn = client.OpenDatabase();
        var names = (await conn.QueryAsync<string>(
            "SELECT proname FROM pg_proc WHERE proname IN ('rotate_refresh_token_v2', 'rotate_refresh_token_v3') ORDER BY proname")).ToList();
        Assert.Equal(["rotate_refresh_token_v2", "rotate_refresh_token_v3"], names);
    }
}
