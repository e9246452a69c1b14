using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Import;

/// <summary><c>POST /admin/users/import</c>: the admin role, the 1 MiB / 1,000-user limits (16 KiB everywhere else), the answer.</summary>
public sealed class UserImportEndpointTests(ImportApiFixture fixture) : IClassFixture<ImportApiFixture>
{
    private const string Path = "/admin/users/import";
    private readonly AuthClient client = fixture.NewClient();

    /// <summary>A user holding the admin role in the database (what the admin API checks), signed in.</summary>
    private async Task<string> AdminTokenAsync()
    {
        var email = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("import-admin"));
        await using (var db = client.OpenDatabase())
            await Dapper.SqlMapper.ExecuteAsync(db, "UPDATE users SET roles = '{admin}' WHERE email = @email", new { email });
        return (await client.SigninAsync(email)).AccessToken;
    }

    private Task<HttpResponseMessage> PostAsync(string? token, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        return client.Http.SendAsync(request);
    }

    private static string Body(IEnumerable<object> users) => JsonSerializer.Serialize(new { users });

    [Fact]
    public async Task Admin_ImportsUsers_GetsTheCountAndEverySkipWithItsReason_AndTheUserSignsIn()
    {
        var token = await AdminTokenAsync();
        var a = AuthClient.NewEmail("api-a");
        var b = AuthClient.NewEmail("api-b");
        var existing = await client.CreateVerifiedUserAsync();
        var body = Body([
            new { email = a, passwordHash = ImportKit.IdentityV3("api password"), emailVerified = true, displayName = "A", roles = new[] { "customer" } },
            new { email = b },
            new { email = existing },
            new { email = "nope" },
            new { email = AuthClient.NewEmail("api-c"), passwordHash = "md5:0123456789abcdef" },
        ]);

        var response = await PostAsync(token, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, json.GetProperty("imported").GetInt32());
        Assert.Equal([(existing, "exists"), ("nope", "invalid_email"), (null, "unsupported_password_hash")],
            json.GetProperty("skipped").EnumerateArray().Select(s => (s.GetProperty("email").GetString() is var e && e!.StartsWith("api-c", StringComparison.Ordinal) ? null : e, s.GetProperty("reason").GetString()!)));
        Assert.DoesNotContain("md5:", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(a, "api password")).StatusCode);

        // Again: nothing twice.
        var again = await (await PostAsync(token, body)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, again.GetProperty("imported").GetInt32());
    }

    [Fact]
    public async Task WithoutTheAdminRole_403_WithoutAToken_401_AndNothingIsImported()
    {
        var email = AuthClient.NewEmail("api-refused");
        var body = Body([new { email }]);
        var user = (await client.SignupAndSigninAsync()).AccessToken;

        await ProblemAssert.IsProblemAsync(await PostAsync(user, body), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await PostAsync(null, body), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Null(await ImportKit.StoredHashAsync(client, email));
    }

    [Fact]
    public async Task AThousandUsersOverSixteenKiB_AreImported_ButNotOneMore_NorOverOneMiB()
    {
        var token = await AdminTokenAsync();
        var thousand = Body(Enumerable.Range(0, 1000).Select(i => new { email = AuthClient.NewEmail($"bulk{i}"), displayName = "Bulk user" }));
        Assert.True(Encoding.UTF8.GetByteCount(thousand) > 16 * 1024);

        var ok = await PostAsync(token, thousand);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1000, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("imported").GetInt32());

        var tooMany = Body(Enumerable.Range(0, 1001).Select(i => new { email = $"x{i}@example.com" }));
        var problem = await ProblemAssert.IsProblemAsync(await PostAsync(token, tooMany), HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal("too_long", problem.GetProperty("errors").GetProperty("users")[0].GetString());

        var huge = Body([new { email = "big@example.com", displayName = new string('x', 1024 * 1024) }]);
        await ProblemAssert.IsProblemAsync(await PostAsync(token, huge), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        // Everywhere else the limit stays 16 KiB.
        var bigSignin = JsonSerializer.Serialize(new { email = "a@example.com", password = new string('p', 17 * 1024) });
        await ProblemAssert.IsProblemAsync(await client.Http.PostAsync("/auth/signin", new StringContent(bigSignin, Encoding.UTF8, "application/json")),
            HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task LoneSurrogatesInAnyMember_AreA400Problem_NeverA500()
    {
        var token = await AdminTokenAsync();
        var s1 = AuthClient.NewEmail("s1");
        var body = $$"""
            {"users":[{"email":"x\ud800@example.com"},{"email":"{{s1}}","displayName":"a\udc00b"},
            {"email":"{{AuthClient.NewEmail("s2")}}","roles":["r\ud83d"]},{"email":"{{AuthClient.NewEmail("s3")}}","passwordHash":"$2b$\ud800"}]}
            """;

        var response = await PostAsync(token, body);

        // The service's JSON reading refuses text that is not Unicode before any row is looked at.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await ImportKit.StoredHashAsync(client, s1));
    }

    [Fact]
    public async Task AMisspeltMember_RefusesTheCall_NamingIt()
    {
        var token = await AdminTokenAsync();
        var email = AuthClient.NewEmail("api-typo");
        var body = $$"""{"users":[{"email":"{{email}}","password_hash":"{{ImportKit.Bcrypt("x")}}"}]}""";

        var problem = await ProblemAssert.IsProblemAsync(await PostAsync(token, body), HttpStatusCode.BadRequest, "validation_failed");

        Assert.Equal("unknown_member", problem.GetProperty("errors").GetProperty("users[0].password_hash")[0].GetString());
        Assert.Null(await ImportKit.StoredHashAsync(client, email));
    }
}
