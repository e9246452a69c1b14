using AuthService.Roles;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Roles;

/// <summary>`./AuthService grant-role|revoke-role &lt;email&gt; &lt;role&gt;`: exit codes, one-line reasons, audit.</summary>
public sealed class RoleCommandTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private AuthServiceFactory Auth => fixture.Factory;

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using StringWriter output = new(), error = new();
        var exitCode = await RoleCommands.RunAsync(Auth.Services, args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private async Task<string[]> RolesOfAsync(string email)
    {
        await using var conn = new AuthClient(Auth).OpenDatabase();
        return await conn.QuerySingleAsync<string[]>("SELECT roles FROM users WHERE email = @email", new { email });
    }

    [Fact]
    public async Task GrantRole_Exits0_StoresTheRole_AuditsWithoutActor_AndTheNextRefreshCarriesIt()
    {
        var client = new AuthClient(Auth);
        var email = await client.CreateVerifiedUserAsync();
        var signedIn = await client.SigninAsync(email);

        var (exitCode, output, error) = await RunAsync("grant-role", email.ToUpperInvariant(), "admin");

        Assert.Equal((0, ""), (exitCode, error));
        Assert.Single(output.TrimEnd().Split('\n'));
        Assert.Equal(["admin"], await RolesOfAsync(email));
        await using (var conn = client.OpenDatabase())
        {
            var audit = await conn.QuerySingleAsync<(Guid? ActorId, string Details)>("""
                SELECT a.actor_id, a.details::text FROM audit_events a JOIN users u ON u.id = a.user_id
                WHERE u.email = @email AND a.kind = 'role_granted'
                """, new { email });
            Assert.Null(audit.ActorId);
            Assert.Contains("\"admin\"", audit.Details);
        }
        var refreshed = await AuthClient.ReadSignedInAsync(await client.RefreshAsync(signedIn.RefreshToken));
        Assert.Equal("""["admin"]""", Jwt.Payload(refreshed.AccessToken)["roles"]!.ToJsonString());

        Assert.Equal(0, (await RunAsync("grant-role", email, "admin")).ExitCode); // already held: nothing to do, still success
        Assert.Equal(["admin"], await RolesOfAsync(email));

        (exitCode, _, error) = await RunAsync("revoke-role", email, "admin");
        Assert.Equal((0, ""), (exitCode, error));
        Assert.Empty(await RolesOfAsync(email));
    }

    [Theory]
    [InlineData("Admin", "must match")]
    [InlineData("1admin", "must match")]
    [InlineData("admin\n", "must match")]
    [InlineData("", "must match")]
    public async Task GrantRole_BadRoleName_Exits1WithOneLine(string role, string reason)
    {
        var email = await new AuthClient(Auth).CreateVerifiedUserAsync();

        var (exitCode, output, error) = await RunAsync("grant-role", email, role);

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains(reason, error);
        Assert.Empty(await RolesOfAsync(email));
    }

    [Fact]
    public async Task GrantRole_UnknownEmail_Exits1()
    {
        var (exitCode, _, error) = await RunAsync("grant-role", AuthClient.NewEmail("nobody"), "admin");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("grant-role failed: no user has the email", error);
    }

    [Fact]
    public async Task GrantRole_MissingArgument_Exits1WithUsage()
    {
        var (exitCode, _, error) = await RunAsync("revoke-role", "someone@example.com");

        Assert.Equal(1, exitCode);
        Assert.Contains("usage: revoke-role <email> <role>", error);
    }

    [Fact]
    public async Task GrantRole_The33rdRole_Exits1_AndConcurrentGrantsNeverPassTheLimit()
    {
        var email = await new AuthClient(Auth).CreateVerifiedUserAsync();
        for (var i = 0; i < 30; i++) Assert.Equal(0, (await RunAsync("grant-role", email, $"r{i}")).ExitCode);

        // Five at once for the last two places: the row lock lets exactly two in.
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => RunAsync("grant-role", email, $"late{i}")));

        Assert.Equal(2, results.Count(r => r.ExitCode == 0));
        Assert.All(results.Where(r => r.ExitCode != 0), r => Assert.Contains("already holds 32 roles", r.Error));
        Assert.Equal(32, (await RolesOfAsync(email)).Length);
    }

    [Fact]
    [Trait("Category", PublishedService.Category)]
    public async Task PublishedBuild_GrantRole_Exits0_UnknownEmailExits1()
    {
        var email = await new AuthClient(Auth).CreateVerifiedUserAsync();
        var environment = PublishedService.ProductionEnvironment(Auth.ConnectionString, FreePort.Next());
        environment["Auth__KeyEncryptionKey"] = AuthServiceFactory.KeyEncryptionKey;

        var (exitCode, output) = await PublishedService.RunUntilExitAsync(environment, TimeSpan.FromSeconds(60), "grant-role", email, "admin");
        Assert.True(exitCode == 0, output);
        Assert.Equal(["admin"], await RolesOfAsync(email));

        (exitCode, output) = await PublishedService.RunUntilExitAsync(environment, TimeSpan.FromSeconds(60), "grant-role", "nobody@example.com", "admin");
        Assert.Equal(1, exitCode);
        Assert.Contains("grant-role failed: no user has the email nobody@example.com", output);
    }
}
