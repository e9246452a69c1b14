using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Data;

/// <summary>
/// Replicas never have perfectly equal clocks (NTP keeps them within milliseconds to a few seconds).
/// ARCHITECTURE.md: keys live in the database "so every replica signs with the same key and
/// publishes the same JWKS"; a replica whose clock is slightly behind must not fork the key set.
/// </summary>
public sealed class ReplicaClockSkewTests
{
    [Fact]
    public async Task ReplicaWithClockSlightlyBehind_SignsWithTheExistingKeyAndTheOthersAcceptItsTokens()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var now = DateTimeOffset.UtcNow;
        await using var first = new AuthServiceFactory(connectionString);
        first.Clock.Set(now);
        await first.StartAsync();
        await using var behind = new AuthServiceFactory(connectionString);
        behind.Clock.Set(now.AddSeconds(-2));
        await behind.StartAsync();

        await using (var conn = new NpgsqlConnection(connectionString))
        {
            var kids = (await conn.QueryAsync<string>("SELECT kid FROM signing_keys")).ToList();
            Assert.True(kids.Count == 1, $"{kids.Count} signing keys: the replica 2 s behind created its own");
        }

        var fromBehind = await new AuthClient(behind).SignupAndSigninAsync();
        var me = await new AuthClient(first).GetWithBearerAsync("/auth/me", fromBehind.AccessToken);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(
            await (await first.CreateClient().GetAsync("/.well-known/jwks.json")).Content.ReadAsStringAsync(),
            await (await behind.CreateClient().GetAsync("/.well-known/jwks.json")).Content.ReadAsStringAsync());
    }
}
