using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Tokens;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace AuthService.Tests.Replicas;

/// <summary>
/// The README's key-encryption key rotation, performed while two replicas serve: (1) the new key added as
/// decrypt-only on every replica, (2) made first, (3) <c>rewrap-keys</c>, (4) the old key removed; each of (1), (2)
/// and (4) a rolling restart. Clients refresh and use their tokens all along. Every refresh is sent twice, to each
/// replica, as two tabs do: the second must get the same cookie inside the grace window, so every replica must
/// derive successors with the same key at every moment (a key that changed with the KEK would call it a reuse).
/// </summary>
[Trait("Category", "Slow")]
public sealed class KeyEncryptionKeyRotationTests
{
    private const int Clients = 4;
    private const int RoundsPerStep = 6;

    private static readonly string OldKek = TestKeys.NewKek();
    private static readonly string NewKek = TestKeys.NewKek();

    private readonly ConcurrentQueue<string> failures = new();
    private readonly ConcurrentQueue<string> accessTokens = new();
    private readonly ConcurrentDictionary<string, int> roundsByPhase = new();
    private volatile string phase = "";

    [Fact]
    public async Task RotatingTheKek_WhileTwoReplicasServe_NoRefreshFails_NoTokenStopsValidating_AndTheOldKeyCanGo()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var replicas = new RollingReplicas(database, DateTimeOffset.UtcNow);
        await replicas.RollAsync(new Dictionary<string, string?> { ["Auth:KeyEncryptionKey"] = OldKek });
        var sessions = new List<SignedIn>();
        for (var i = 0; i < Clients; i++)
            sessions.Add(await replicas.SendAsync(i % 2, replica => replica.Client.SignupAndSigninAsync()));
        sessions.ForEach(s => accessTokens.Enqueue(s.AccessToken));
        await using var downstream = await DownstreamApi.StartAsync(replicas[0], backchannel: replicas.Backchannel());

        using var stop = new CancellationTokenSource();
        var traffic = sessions.Select((s, i) => Task.Run(() => RefreshContinuouslyAsync(replicas, downstream, s.RefreshToken, i, stop.Token))).ToList();
        await StepAsync("0: the single Auth:KeyEncryptionKey");

        phase = "rolling to 1";
        await replicas.RollAsync(TestKeys.KeyEncryptionKeySettings(("legacy", OldKek), ("2025-07", NewKek)));
        await StepAsync("1: the new key listed second, decrypt-only");

        phase = "rolling to 2";
        var newKeyFirst = TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek), ("legacy", OldKek));
        await replicas.RollAsync(0, newKeyFirst);
        // Mid-roll, a replica that seals with the new key schedules the next signing key; the replica still on
        // step 1 must open it when it reloads (it holds the new key already, which is what step 1 is for).
        var scheduledKid = await ScheduleNextSigningKeyAsync(replicas[0]);
        await replicas.SendAsync(1, async replica =>
        {
            await replica.Factory.Services.GetRequiredService<SigningKeyMaintenance>().MaintainKeysAsync(CancellationToken.None);
            Assert.Contains(scheduledKid, replica.Factory.Services.GetRequiredService<SigningKeyRing>().Current.ValidationKeys.Keys);
            return true;
        });
        await replicas.RollAsync(1, newKeyFirst);
        await StepAsync("2: the new key first, sealing");

        phase = "rewrapping";
        // A rewrap takes milliseconds, so refreshes may all fall before or after one: it runs again (it is idempotent)
        // until refreshes have run during it, so the traffic really overlaps a rewrap.
        for (var run = 0; run == 0 || (roundsByPhase.GetValueOrDefault(phase) == 0 && run < 200); run++)
        {
            using StringWriter output = new(), error = new();
            var exitCode = await KeyEncryptionCommands.RewrapAsync(replicas[0].Services, output, error);
            Assert.True(exitCode == 0, error.ToString());
            Assert.Contains("under key-encryption key '2025-07'", output.ToString());
        }
        await StepAsync("3: rewrapped");

        phase = "rolling to 4";
        await replicas.RollAsync(TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek)));
        await StepAsync("4: the old key removed");

        await stop.CancelAsync();
        await Task.WhenAll(traffic);

        Assert.True(failures.IsEmpty, $"{failures.Count} failure(s):\n" + string.Join("\n", failures.Take(20)));
        // Traffic ran through every step and every rolling restart, not just between them.
        foreach (var during in new[] { "rolling to 1", "rolling to 2", "rewrapping", "rolling to 4" })
            Assert.True(roundsByPhase.GetValueOrDefault(during) > 0, $"no refresh ran while {during}: {string.Join(", ", roundsByPhase)}");

        // Only the new key is left anywhere: on the replicas, and beside every sealed value.
        for (var slot = 0; slot < replicas.Count; slot++)
            Assert.Equal(["2025-07"], replicas[slot].Services.GetRequiredService<ServerSecrets>().KeyIds);
        await using (var conn = new NpgsqlConnection(database))
        {
            var kekIds = await conn.QueryAsync<string>("SELECT kek_id FROM signing_keys UNION ALL SELECT kek_id FROM server_secrets");
            Assert.All(kekIds, id => Assert.Equal("2025-07", id));
        }

        // Every access token issued before, during and after the rotation validates against the JWKS the
        // replicas publish now, which still holds the key that signed them and the one scheduled mid-rotation.
        foreach (var slot in new[] { 0, 1 })
        {
            var jwks = await replicas.SendAsync(slot, replica => replica.Client.Http.GetStringAsync("/.well-known/jwks.json"));
            var keys = new JsonWebKeySet(jwks).GetSigningKeys();
            Assert.Contains(keys, k => k.KeyId == scheduledKid);
            var handler = new JsonWebTokenHandler();
            foreach (var token in accessTokens)
            {
                var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
                {
                    ValidIssuer = AuthServiceFactory.Issuer, ValidAudience = "api", IssuerSigningKeys = keys, ValidTypes = ["at+jwt"],
                });
                Assert.True(result.IsValid, $"a token no longer validates: {result.Exception?.Message}");
            }
        }
        Assert.True(accessTokens.Count > Clients * RoundsPerStep * 5, $"only {accessTokens.Count} access tokens were issued");
    }

    /// <summary>Marks the step and waits until every client has refreshed a few times in it.</summary>
    private async Task StepAsync(string step)
    {
        phase = step;
        await Wait.UntilAsync(() => Task.FromResult(roundsByPhase.GetValueOrDefault(step) >= Clients * RoundsPerStep || !failures.IsEmpty),
            $"{Clients * RoundsPerStep} refreshes in step {step}", TimeSpan.FromSeconds(60));
        Assert.True(failures.IsEmpty, $"in step {step}: " + string.Join("\n", failures.Take(20)));
    }

    /// <summary>
    /// One client (say, two tabs): refreshes on one replica, retries the same token on the other (the grace
    /// window must hand back the same cookie), then uses the new access token on that replica and downstream.
    /// </summary>
    private async Task RefreshContinuouslyAsync(RollingReplicas replicas, DownstreamApi downstream, string refreshToken, int client, CancellationToken stop)
    {
        for (var round = 0; !stop.IsCancellationRequested; round++)
        {
            var current = phase;
            var (first, second) = ((client + round) % 2, (client + round + 1) % 2);
            try
            {
                var (status, cookie, body, on) = await replicas.SendAsync(first, async replica =>
                {
                    var response = await replica.Client.RefreshAsync(refreshToken);
                    return (response.StatusCode, AuthClient.RefreshCookieValue(response), await response.Content.ReadAsStringAsync(), replica.Name);
                });
                if (status != HttpStatusCode.OK || cookie is null)
                {
                    failures.Enqueue($"[{current}] client {client}: refresh on {on} answered {(int)status} {body}");
                    return;
                }

                var (retryStatus, retryCookie, retryBody, retryOn) = await replicas.SendAsync(second, async replica =>
                {
                    var response = await replica.Client.RefreshAsync(refreshToken);
                    return (response.StatusCode, AuthClient.RefreshCookieValue(response), await response.Content.ReadAsStringAsync(), replica.Name);
                });
                if (retryStatus != HttpStatusCode.OK || retryCookie != cookie)
                {
                    failures.Enqueue($"[{current}] client {client}: the grace retry on {retryOn} answered {(int)retryStatus} {retryBody}, " +
                        $"{(retryCookie == cookie ? "the same cookie" : "another cookie")} than {on}");
                    return;
                }
                refreshToken = cookie;

                var accessToken = JsonSerializer.Deserialize<JsonElement>(body).GetProperty("accessToken").GetString()!;
                accessTokens.Enqueue(accessToken);
                var (meStatus, meOn) = await replicas.SendAsync(second, async replica =>
                    ((await replica.Client.GetWithBearerAsync("/auth/me", accessToken)).StatusCode, replica.Name));
                if (meStatus != HttpStatusCode.OK)
                    failures.Enqueue($"[{current}] client {client}: /auth/me on {meOn} answered {(int)meStatus}");
                var downstreamStatus = (await downstream.WhoAmIAsync(accessToken)).StatusCode;
                if (downstreamStatus != HttpStatusCode.OK)
                    failures.Enqueue($"[{current}] client {client}: the downstream API answered {(int)downstreamStatus}");

                roundsByPhase.AddOrUpdate(current, 1, (_, n) => n + 1);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                failures.Enqueue($"[{current}] client {client}: {e.GetType().Name}: {e.Message}");
                return;
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>A signing key published now that signs in an hour (never, on the tests' fixed clock), created on <paramref name="replica"/>.</summary>
    private static async Task<string> ScheduleNextSigningKeyAsync(AuthServiceFactory replica)
    {
        var store = replica.Services.GetRequiredService<SigningKeyStore>();
        var kid = await store.RotateIfDueAsync(replica.Clock.GetUtcNow(), interval: TimeSpan.FromSeconds(1), lead: TimeSpan.FromHours(1),
            tokenLifetime: TimeSpan.FromMinutes(15), CancellationToken.None);
        Assert.NotNull(kid);
        await using var conn = new NpgsqlConnection(replica.ConnectionString);
        Assert.Equal("2025-07", await conn.ExecuteScalarAsync<string>("SELECT kek_id FROM signing_keys WHERE kid = @kid", new { kid }));
        await replica.Services.GetRequiredService<SigningKeyMaintenance>().MaintainKeysAsync(CancellationToken.None);
        return kid;
    }
}
