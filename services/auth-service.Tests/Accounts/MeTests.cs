using System.Net;
using System.Net.Http.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Accounts;

/// <summary>GET and PATCH /auth/me.</summary>
public sealed class MeTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    private async Task<(string Email, string AccessToken)> SignedInUserAsync(string? displayName = null)
    {
        var email = AuthClient.NewEmail();
        (await client.SignupAsync(email, displayName: displayName)).EnsureSuccessStatusCode();
        var token = await client.TokenFromEmailAsync(email);
        (await client.PostJsonAsync("/auth/verify-email", new { token })).EnsureSuccessStatusCode();
        return (email, (await client.SigninAsync(email)).AccessToken);
    }

    private Task<HttpResponseMessage> PatchAsync(string accessToken, object body) =>
        client.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", accessToken, body);

    private async Task<string?> StoredDisplayNameAsync(string email)
    {
        await using var db = client.OpenDatabase();
        return await db.ExecuteScalarAsync<string?>("SELECT display_name FROM users WHERE email = @email", new { email });
    }

    [Fact]
    public async Task GetMe_Answers200WithUserFieldsAtTopLevel()
    {
        var (email, accessToken) = await SignedInUserAsync("Grace Hopper");

        var response = await client.GetWithBearerAsync("/auth/me", accessToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var me = await TestJson.ReadAsync(response);
        TestJson.AssertUser(me, email, emailVerified: true, displayName: "Grace Hopper");
        await using var db = client.OpenDatabase();
        var id = await db.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        Assert.Equal(id, Guid.Parse(me.GetProperty("id").GetString()!));
    }

    [Fact]
    public async Task PatchMe_TrimsDisplayName_AnswersUpdatedUser_AndPersists()
    {
        var (email, accessToken) = await SignedInUserAsync("Old Name");

        var response = await PatchAsync(accessToken, new { displayName = "  New Name \t" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var updated = await TestJson.ReadAsync(response);
        TestJson.AssertUser(updated, email, emailVerified: true, displayName: "New Name");

        var again = await TestJson.ReadAsync(await client.GetWithBearerAsync("/auth/me", accessToken));
        Assert.Equal("New Name", again.GetProperty("displayName").GetString());
        Assert.Equal(updated.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal("New Name", await StoredDisplayNameAsync(email));
    }

    [Fact]
    public async Task PatchMe_100Characters_IsAccepted()
    {
        var (email, accessToken) = await SignedInUserAsync();
        var name = new string('n', 100);

        var response = await PatchAsync(accessToken, new { displayName = name });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(name, await StoredDisplayNameAsync(email));
    }

    [Theory]
    [InlineData("", "too_short")]
    [InlineData("   ", "too_short")]
    [InlineData(" \t\n ", "too_short")]
    [InlineData("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "too_long")] // 101
    [InlineData("Bob\u0007by", "invalid_format")]
    [InlineData("Bob\u0000by", "invalid_format")]
    [InlineData("Bob\nby", "invalid_format")]
    [InlineData("admin\u202Etxt.exe", "invalid_format")]
    public async Task PatchMe_InvalidDisplayName_IsValidationFailed_AndNothingChanges(string displayName, string code)
    {
        var (email, accessToken) = await SignedInUserAsync("Unchanged");

        var response = await PatchAsync(accessToken, new { displayName });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal([code], ProblemAssert.FieldErrors(problem, "displayName"));
        Assert.Equal("Unchanged", await StoredDisplayNameAsync(email));
    }

    [Fact]
    public async Task PatchMe_MissingDisplayName_IsValidationFailedRequired()
    {
        var (email, accessToken) = await SignedInUserAsync("Unchanged");

        var problem = await ProblemAssert.IsProblemAsync(await PatchAsync(accessToken, new { }), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(["required"], ProblemAssert.FieldErrors(problem, "displayName"));
        Assert.Equal("Unchanged", await StoredDisplayNameAsync(email));
    }

    [Fact]
    public async Task Me_WithoutBearer_IsUnauthorized()
    {
        var get = await client.Http.GetAsync("/auth/me");
        await ProblemAssert.IsProblemAsync(get, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.StartsWith("Bearer", get.Headers.WwwAuthenticate.ToString());

        var patch = await client.Http.PatchAsJsonAsync("/auth/me", new { displayName = "Mallory" });
        await ProblemAssert.IsProblemAsync(patch, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Me_WithGarbageBearer_IsUnauthorizedWithInvalidTokenChallenge()
    {
        var response = await client.GetWithBearerAsync("/auth/me", "not-a-jwt");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
    }
}
