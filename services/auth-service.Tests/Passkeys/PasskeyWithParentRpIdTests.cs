using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Passkeys;

/// <summary>
/// An RP id that is a registrable suffix of the origins (example.test for https://app.example.test and https://www.example.test):
/// the service starts, both origins can register and sign in, and passkeys work across them.
/// </summary>
public sealed class PasskeyWithParentRpIdTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        factory = await new AuthServiceFactory(connectionString, new Dictionary<string, string?>
        {
            ["Auth:AppBaseUrl"] = "https://app.example.test",
            ["Auth:AllowedOrigins:0"] = "https://app.example.test",
            ["Auth:AllowedOrigins:1"] = "https://www.example.test:8443",
            ["Auth:Passkeys:RpId"] = "example.test",
            ["Auth:Passkeys:RpName"] = "Example",
        }).StartAsync();
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task RegisterOnOneOrigin_SigninOnAnother()
    {
        var client = new AuthClient(factory);
        var signedIn = await client.SignupAndSigninAsync();
        var options = await (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/passkeys/register/options", signedIn.AccessToken))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("example.test", options.GetProperty("rp").GetProperty("id").GetString());
        Assert.Equal("Example", options.GetProperty("rp").GetProperty("name").GetString());

        using var authenticator = new SoftwareAuthenticator("example.test", "https://app.example.test");
        var registered = await client.SendWithBearerAsync(HttpMethod.Post, "/auth/passkeys/register", signedIn.AccessToken,
            new { credential = authenticator.Create(options) });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        var (challengeId, signinOptions) = await PasskeyTests.SigninOptionsAsync(client);
        Assert.Equal("example.test", signinOptions.GetProperty("rpId").GetString());
        var signin = await client.PostJsonAsync("/auth/passkeys/signin",
            new { challengeId, credential = authenticator.Get(signinOptions, origin: "https://www.example.test:8443") });
        Assert.Equal(HttpStatusCode.OK, signin.StatusCode);

        // The same site on another port is another origin, and not an allowed one.
        (challengeId, signinOptions) = await PasskeyTests.SigninOptionsAsync(client);
        await ProblemAssert.IsProblemAsync(await client.PostJsonAsync("/auth/passkeys/signin",
            new { challengeId, credential = authenticator.Get(signinOptions, origin: "https://www.example.test:9443") }),
            HttpStatusCode.Unauthorized, "invalid_credentials");
    }
}
