using System.Net;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Lifecycle;

/// <summary>GET /auth/me/export (API.md "Account lifecycle"): the caller's data, complete and without secrets.</summary>
public sealed class ExportTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task Export_HoldsProfileRolesSessionsFactorsAndAuditTrail_AndNoSecret()
    {
        var email = await client.CreateVerifiedUserAsync();
        await using (var db = client.OpenDatabase())
            await db.ExecuteAsync("UPDATE users SET roles = '{support}' WHERE email = @email", new { email });
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, "a wrong passphrase for export 1")).StatusCode);
        string passwordHash;
        await using (var db = client.OpenDatabase())
            passwordHash = await db.ExecuteScalarAsync<string>("SELECT password_hash FROM users WHERE email = @email", new { email }) ?? "";

        var response = await client.GetWithBearerAsync("/auth/me/export", second.AccessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var body = await response.Content.ReadAsStringAsync();
        var export = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal(email, export.GetProperty("profile").GetProperty("email").GetString());
        Assert.Equal(["support"], export.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        var sessions = export.GetProperty("sessions").EnumerateArray().ToList();
        Assert.Equal(2, sessions.Count);
        Assert.Single(sessions, s => s.GetProperty("current").GetBoolean());
        Assert.False(export.GetProperty("factors").GetProperty("totp").GetBoolean());
        Assert.Equal(0, export.GetProperty("factors").GetProperty("passkeys").GetInt32());
        var kinds = export.GetProperty("auditEvents").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Contains("email_verified", kinds);
        Assert.Equal(2, kinds.Count(k => k == "signin_succeeded"));
        Assert.Contains("signin_failed", kinds);
        // Nothing secret: no hash, no token of either session.
        Assert.StartsWith("$argon2id$", passwordHash);
        foreach (var secret in new[] { passwordHash, first.AccessToken, first.RefreshToken, second.AccessToken, second.RefreshToken, "argon2id" })
            Assert.DoesNotContain(secret, body);
    }

    [Fact]
    public async Task Export_AfterEnablingTotp_SaysSo_WithoutTheSecretOrTheRecoveryCodes()
    {
        var user = await Mfa.MfaKit.TotpUserAsync(client);
        var body = await (await client.GetWithBearerAsync("/auth/me/export", user.Session.AccessToken)).Content.ReadAsStringAsync();
        var export = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.True(export.GetProperty("factors").GetProperty("totp").GetBoolean());
        Assert.Equal(0, export.GetProperty("factors").GetProperty("passkeys").GetInt32());
        Assert.DoesNotContain(user.SecretBase32, body);
        Assert.All(user.RecoveryCodes, code => Assert.DoesNotContain(code, body));
    }

    [Fact]
    public async Task Export_WithoutBearer_401_AndAfterLogoutAll_401()
    {
        await ProblemAssert.IsProblemAsync(await client.Http.GetAsync("/auth/me/export"), HttpStatusCode.Unauthorized, "unauthorized");
        var signedIn = await client.SignupAndSigninAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", signedIn.AccessToken)).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.GetWithBearerAsync("/auth/me/export", signedIn.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
    }
}
