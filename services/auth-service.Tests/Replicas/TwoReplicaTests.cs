using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Email;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Replicas;

/// <summary>
/// Two service instances on one database, as replicas behind a load balancer, both delivering mail
/// through one real SMTP server. Each replica sends with its own From address so a received
/// message tells which replica's dispatcher delivered it.
/// </summary>
public sealed class SmtpReplicasFixture : IAsyncLifetime
{
    public const string FromA = "replica-a@auth.test";
    public const string FromB = "replica-b@auth.test";

    public SmtpServer Smtp { get; private set; } = null!;
    public AuthServiceFactory A { get; private set; } = null!;
    public AuthServiceFactory B { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Smtp = await SmtpServer.StartAsync();
        ConnectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        A = new AuthServiceFactory(ConnectionString, Settings(FromA));
        B = new AuthServiceFactory(ConnectionString, Settings(FromB));
        var now = DateTimeOffset.UtcNow;
        A.Clock.Set(now);
        B.Clock.Set(now);
        await A.StartAsync();
        await B.StartAsync();
    }

    private Dictionary<string, string?> Settings(string from) => new()
    {
        ["Email:Transport"] = "smtp",
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = Smtp.Port.ToString(),
        ["Email:From"] = from,
        // These tests are about sharing one database, not the hashing bound: bursts of signups on a busy
        // machine wait for a hash instead of getting the queue's 503.
        ["Auth:Password:HashQueueTimeout"] = "00:01:00",
    };

    /// <summary>Moves both replicas' clocks together, as NTP-synchronized machines.</summary>
    public void AdvanceBoth(TimeSpan by)
    {
        A.Clock.Advance(by);
        B.Clock.Set(A.Clock.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public sealed class TwoReplicaTests(SmtpReplicasFixture replicas) : IClassFixture<SmtpReplicasFixture>
{
    private AuthClient OnA => new(replicas.A);
    private AuthClient OnB => new(replicas.B);

    private static string UserId(SignedIn s) => s.Body.GetProperty("user").GetProperty("id").GetString()!;

    [Fact]
    public async Task AccessToken_IssuedByOneReplica_IsAcceptedByTheOthersMe()
    {
        var fromA = await OnA.SignupAndSigninAsync();
        var fromB = await OnB.SignupAndSigninAsync();

        var meOnB = await OnB.GetWithBearerAsync("/auth/me", fromA.AccessToken);
        var meOnA = await OnA.GetWithBearerAsync("/auth/me", fromB.AccessToken);

        Assert.Equal(HttpStatusCode.OK, meOnB.StatusCode);
        Assert.Equal(UserId(fromA), (await meOnB.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, meOnA.StatusCode);
        Assert.Equal(UserId(fromB), (await meOnA.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task RefreshRotatedOnA_OldCookieOnBAfterGrace_IsReuse_AndRevokesTheSessionEverywhere()
    {
        var signedIn = await OnA.SignupAndSigninAsync();
        var rotated = await OnA.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newest = AuthClient.RefreshCookieValue(rotated);
        Assert.False(string.IsNullOrEmpty(newest));
        Assert.NotEqual(signedIn.RefreshToken, newest);
        var newestAccess = (await AuthClient.ReadSignedInAsync(rotated)).AccessToken;

        replicas.AdvanceBoth(TimeSpan.FromSeconds(11)); // past the default 10 s grace window

        var replayOnB = await OnB.RefreshAsync(signedIn.RefreshToken);
        await ProblemAssert.IsProblemAsync(replayOnB, HttpStatusCode.Unauthorized, "refresh_token_reused");
        Assert.True(string.IsNullOrEmpty(AuthClient.RefreshCookieValue(replayOnB)), "a reused token must not be answered with a new cookie");

        // The whole session is revoked, on both replicas: the newest cookie and the session's access tokens stop working.
        await ProblemAssert.IsProblemAsync(await OnA.RefreshAsync(newest), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await OnB.RefreshAsync(newest), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        await ProblemAssert.IsProblemAsync(await OnA.GetWithBearerAsync("/auth/me", newestAccess), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await OnB.GetWithBearerAsync("/auth/me", signedIn.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");

        await using var conn = new NpgsqlConnection(replicas.ConnectionString);
        var session = await conn.QuerySingleAsync<(DateTime? RevokedAt, string? Reason)>(
            "SELECT revoked_at, revoked_reason FROM sessions WHERE id = @sid",
            new { sid = Guid.Parse(TestKeys.Segment(signedIn.AccessToken, 1).GetProperty("sid").GetString()!) });
        Assert.NotNull(session.RevokedAt);
    }

    [Fact]
    public async Task ManySessionsRefreshedOnBothReplicasAtOnce_EachPairConverges_NothingIsRevoked()
    {
        // Every session presents its newest token on both replicas at the same moment, round after round: the two
        // replicas' batches meet on the same rows (one rotates, the other skips the locked row and finds the retry
        // in the grace window), and every pair must be answered with one and the same successor.
        var client = OnA;
        var email = await client.CreateVerifiedUserAsync();
        var chains = new List<string>();
        for (var i = 0; i < 12; i++) chains.Add((await client.SigninAsync(email)).RefreshToken);

        for (var round = 1; round <= 4; round++)
        {
            var answers = await Task.WhenAll(chains.Select(async token =>
                await Task.WhenAll(OnA.RefreshAsync(token), OnB.RefreshAsync(token))));
            for (var i = 0; i < chains.Count; i++)
            {
                var onA = await Sessions.SessionTestKit.NewCookieAsync(answers[i][0]);
                var onB = await Sessions.SessionTestKit.NewCookieAsync(answers[i][1]);
                Assert.Equal(onA, onB);
                chains[i] = onA;
            }
        }

        await using var conn = new NpgsqlConnection(replicas.ConnectionString);
        foreach (var token in chains)
        {
            var sessionId = Sessions.SessionTestKit.SessionIdOfRefreshToken(token);
            var state = await conn.QuerySingleAsync<(DateTime? RevokedAt, int Generation, byte[] CurrentHash)>(
                "SELECT revoked_at, generation, current_hash FROM sessions WHERE id = @sessionId", new { sessionId });
            Assert.Null(state.RevokedAt);
            Assert.Equal(4, state.Generation);
            Assert.Equal(Sessions.SessionTestKit.SecretHash(token), state.CurrentHash);
        }
    }

    [Fact]
    public async Task BothReplicas_PublishByteIdenticalJwks()
    {
        var a = await replicas.A.CreateClient().GetAsync("/.well-known/jwks.json");
        var b = await replicas.B.CreateClient().GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        var bytesA = await a.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytesA, await b.Content.ReadAsByteArrayAsync());
        Assert.Equal(a.Headers.ETag, b.Headers.ETag);
        Assert.NotEmpty(JsonSerializer.Deserialize<JsonElement>(bytesA).GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task Outbox_WithBothDispatchersRunning_SendsEachEmailExactlyOnce()
    {
        // 20 real signups spread over both replicas, plus 100 queued mails, so there is far more
        // than one dispatch batch (20 rows) for the two dispatchers to compete over.
        var recipients = Enumerable.Range(0, 20).Select(i => AuthClient.NewEmail($"once{i}")).ToList();
        var answers = await Task.WhenAll(recipients.Select((email, i) => (i % 2 == 0 ? OnA : OnB).SignupAsync(email)));
        Assert.All(answers, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));

        var queued = Enumerable.Range(0, 100).Select(i => AuthClient.NewEmail($"queued{i}")).ToList();
        await using (var insert = new NpgsqlConnection(replicas.ConnectionString))
        {
            await insert.ExecuteAsync("""
                INSERT INTO outbox_emails ("to", subject, text, html, created_at, next_attempt_at)
                SELECT r, 'queued', 'text', '<p>html</p>', @now, @now FROM unnest(@queued) AS r
                """, new { queued, now = replicas.A.Clock.GetUtcNow() });
        }
        recipients.AddRange(queued);

        // Both replicas dispatch at the same moment (besides their own background loops).
        var dispatchers = new[] { replicas.A, replicas.B }.Select(f => f.Services.GetRequiredService<OutboxDispatcher>()).ToArray();
        while (await Task.WhenAll(dispatchers.Select(d => d.DispatchBatchAsync(CancellationToken.None))) is var claimed && claimed.Sum() > 0) { }

        await replicas.Smtp.WaitForAsync(received => recipients.All(to => received.Any(m => m.To.Contains(to))));
        // A few more dispatch cycles of both replicas (poll interval 200 ms): nothing may be sent again.
        await Task.Delay(TimeSpan.FromSeconds(1));

        var mine = replicas.Smtp.Received().Where(m => recipients.Any(to => m.To.Contains(to))).ToList();
        foreach (var to in recipients)
            Assert.True(mine.Count(m => m.To.Contains(to)) == 1, $"{to} received {mine.Count(m => m.To.Contains(to))} messages");
        Assert.Equal(120, mine.Count);

        await using var conn = new NpgsqlConnection(replicas.ConnectionString);
        var rows = (await conn.QueryAsync<(string To, DateTime? SentAt, int Attempts)>(
            "SELECT \"to\", sent_at, attempts FROM outbox_emails WHERE \"to\" = ANY(@recipients)", new { recipients })).ToList();
        Assert.Equal(120, rows.Count);
        Assert.All(rows, r =>
        {
            Assert.NotNull(r.SentAt);
            Assert.Equal(1, r.Attempts);
        });

        // Both replicas' dispatchers took part (each sends with its own From address).
        var byA = mine.Count(m => m.Raw.Contains(SmtpReplicasFixture.FromA));
        var byB = mine.Count(m => m.Raw.Contains(SmtpReplicasFixture.FromB));
        Assert.Equal(120, byA + byB);
        Assert.True(byA > 0 && byB > 0, $"only one dispatcher delivered (A: {byA}, B: {byB}); the test did not exercise competition");
    }
}
