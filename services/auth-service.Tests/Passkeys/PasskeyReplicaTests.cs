using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Passkeys;

/// <summary>
/// Two replicas on one database: an options request on one is answered on the other, and one assertion sent to both at once
/// signs in once (the challenge is taken with one DELETE … RETURNING, whichever replica asks first).
/// </summary>
public sealed class PasskeyReplicaTests : IAsyncLifetime
{
    private AuthServiceFactory a = null!;
    private AuthServiceFactory b = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        a = new AuthServiceFactory(connectionString);
        b = new AuthServiceFactory(connectionString);
        b.Clock.Set(a.Clock.GetUtcNow());
        await a.StartAsync();
        await b.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await b.DisposeAsync();
        await a.DisposeAsync();
    }

    [Fact]
    public async Task OptionsFromOneReplica_WorkOnTheOther_AndOneAssertionSentToBoth_SignsInOnce()
    {
        var clientA = new AuthClient(a);
        var clientB = new AuthClient(b);
        var signedIn = await clientA.SignupAndSigninAsync();
        using var authenticator = new SoftwareAuthenticator("app.test", AuthServiceFactory.AllowedOrigin);
        Assert.Equal(HttpStatusCode.Created, (await PasskeyTests.RegisterAsync(clientA, signedIn.AccessToken, authenticator)).StatusCode);

        var (challengeId, options) = await PasskeyTests.SigninOptionsAsync(clientB);
        Assert.Equal(HttpStatusCode.OK, (await clientA.PostJsonAsync("/auth/passkeys/signin", new { challengeId, credential = authenticator.Get(options) })).StatusCode);

        for (var round = 0; round < 5; round++)
        {
            (challengeId, options) = await PasskeyTests.SigninOptionsAsync(round % 2 == 0 ? clientA : clientB);
            var credential = authenticator.Get(options);
            var answers = await Task.WhenAll(
                clientA.PostJsonAsync("/auth/passkeys/signin", new { challengeId, credential }),
                clientB.PostJsonAsync("/auth/passkeys/signin", new { challengeId, credential }),
                clientA.PostJsonAsync("/auth/passkeys/signin", new { challengeId, credential }),
                clientB.PostJsonAsync("/auth/passkeys/signin", new { challengeId, credential }));
            Assert.Equal(1, answers.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.All(answers.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        }
    }
}
