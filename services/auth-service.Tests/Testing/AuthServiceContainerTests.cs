using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using AuthService.Testing;
using AuthService.Tests.Infrastructure;
using DotNet.Testcontainers.Builders;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Testcontainers.PostgreSql;

namespace AuthService.Tests.Testing;

/// <summary>
/// The Testcontainers module other teams use (services/auth-service.Testing), driven the way the README's
/// "Running it in your own integration tests" shows: the image, a verified user, a signin, and a JwtBearer
/// host of the team's own configured by the module.
/// </summary>
[Trait("Category", DockerEngine.Category)]
public sealed class AuthServiceContainerTests
{
    [ContainerFact]
    public async Task JwtBearerHostConfiguredByTheModule_AcceptsItsTokens_RejectsATamperedOne()
    {
        // README snippet, verbatim but for the image names (the suite's AUTH_TEST_IMAGE / AUTH_TEST_POSTGRES_IMAGE):
        await using var authService = new AuthServiceBuilder(DockerEngine.ServiceImage)
            .WithPostgreSqlImage(DockerEngine.PostgresImage)
            .Build();
        await authService.StartAsync();

        var user = await authService.CreateVerifiedUserAsync();
        var signIn = await authService.SignInAsync(user.Email, user.Password);

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(authService.ConfigureJwtBearer);
        builder.Services.AddAuthorization();
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (ClaimsPrincipal caller) => caller.Identity!.Name).RequireAuthorization();
        await app.StartAsync();

        using var client = app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signIn.AccessToken);
        var whoami = await client.GetStringAsync("/whoami"); // the user's id: the name claim is "sub"
        // End of the README snippet.

        Assert.Equal(user.Id.ToString(), whoami);
        Assert.Equal("refresh_token", signIn.RefreshCookie.Name); // Development: not Secure, so it works over http
        Assert.Equal("/auth", signIn.RefreshCookie.Path);
        Assert.True(signIn.RefreshCookie.HttpOnly);

        // One issuer everywhere: the token, the discovery document the host followed, and the address it reached.
        var issuer = authService.GetIssuer();
        Assert.Equal(issuer, Jwt.Payload(signIn.AccessToken)["iss"]!.GetValue<string>());
        Assert.Equal(authService.GetAudience(), Jwt.Payload(signIn.AccessToken)["aud"]!.GetValue<string>());
        using var http = new HttpClient { BaseAddress = authService.GetBaseAddress() };
        var discovery = await http.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Equal(issuer, discovery.GetProperty("issuer").GetString());
        Assert.StartsWith(issuer + "/", discovery.GetProperty("jwks_uri").GetString(), StringComparison.Ordinal);

        // Another user's id in the payload, the original signature kept.
        var parts = signIn.AccessToken.Split('.');
        var payload = Jwt.Payload(signIn.AccessToken);
        payload["sub"] = Guid.NewGuid().ToString();
        var tampered = $"{parts[0]}.{Jwt.B64(payload.ToJsonString())}.{parts[2]}";
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tampered);
        using var refused = await client.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        // The module README's WebApplicationFactory advice: Configure (not PostConfigure) over a host whose own
        // settings point at production, so the metadata address is changed before JwtBearer reads it.
        var production = WebApplication.CreateBuilder();
        production.WebHost.UseTestServer();
        production.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(o => { o.Authority = "https://auth.example.com"; o.Audience = "api"; });
        production.Services.AddAuthorization();
        production.Services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, authService.ConfigureJwtBearer);
        await using var overridden = production.Build();
        overridden.UseAuthentication();
        overridden.UseAuthorization();
        overridden.MapGet("/whoami", (ClaimsPrincipal caller) => caller.Identity!.Name).RequireAuthorization();
        await overridden.StartAsync();
        using var overriddenClient = overridden.GetTestClient();
        overriddenClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", signIn.AccessToken);
        Assert.Equal(user.Id.ToString(), await overriddenClient.GetStringAsync("/whoami"));
    }

    [ContainerFact]
    public async Task CallersNetworkAndDatabase_AreUsedAndOutliveTheModule()
    {
        await using var network = new NetworkBuilder().Build();
#pragma warning disable CS0618 // the constructor that takes an image is 4.x only; restore takes 3.10 here
        await using var postgres = new PostgreSqlBuilder()
#pragma warning restore CS0618
            .WithImage(DockerEngine.PostgresImage).WithNetwork(network).WithNetworkAliases("teams-db")
            .WithDatabase("auth").WithUsername("auth").WithPassword("p;w=\"x\"").Build();

        await using (var authService = new AuthServiceBuilder(DockerEngine.ServiceImage)
            .WithNetwork(network) // also named by WithPostgreSqlContainer: joined once
            .WithPostgreSqlContainer(network, postgres, "teams-db", "auth", "auth", "p;w=\"x\"")
            .WithAudience("orders")
            .Build())
        {
            await authService.StartAsync(); // starts the database first
            var user = await authService.CreateVerifiedUserAsync();
            var signIn = await authService.SignInAsync(user.Email, user.Password);
            Assert.Equal("orders", Jwt.Payload(signIn.AccessToken)["aud"]!.GetValue<string>());
        }

        // The module disposed only itself: the caller's database still answers, on the caller's network.
        var ready = await postgres.ExecAsync(["pg_isready", "--host", "localhost", "--dbname", "auth", "--username", "auth"]);
        Assert.Equal(0, ready.ExitCode);
    }
}
