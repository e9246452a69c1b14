using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit.Abstractions;

namespace AuthService.Tests.Resilience;

/// <summary>
/// A rolling deploy stops replicas that are serving: a request already in flight must be answered,
/// not cut off, and the background workers (outbox dispatcher, after-the-answer queue, key
/// maintenance, cleanup) must stop without errors. Real Kestrel on a loopback socket, since the
/// in-memory test server has no connections to abort.
/// </summary>
[CollectionDefinition(nameof(GracefulShutdownTests), DisableParallelization = true)]
public sealed class GracefulShutdownCollection;

// Timing matters here (the signin must still be hashing when the stop begins), so it runs on its
// own rather than among parallel test classes competing for the two cores.
[Collection(nameof(GracefulShutdownTests))]
[Trait("Category", "Slow")]
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SigninInFlightWhenTheHostStops_IsAnswered_AndBackgroundServicesStopCleanly()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        // A slower Argon2id (t=120 instead of 2: about a second here, and the signin checks the hash its signup made) keeps the
        // signin in flight long enough to stop the host under it, on a fast machine too.
        var factory = new AuthServiceFactory(connectionString, new Dictionary<string, string?> { ["Auth:Password:HashIterations"] = "120" });
        factory.ListenOnLoopback();
        var disposed = false;
        try
        {
            await factory.StartAsync();
            var client = new AuthClient(factory);
            Assert.Equal("127.0.0.1", client.Http.BaseAddress?.Host); // a real socket
            // And an unverified account, for after-the-answer work queued just before the stop: it must be drained, not dropped.
            var unverified = AuthClient.NewEmail("drain");
            var verified = client.CreateVerifiedUserAsync();
            Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(unverified)).StatusCode);
            var email = await verified;

            // A client of our own: the factory disposes the clients it made when it stops, which would cancel the request itself.
            using var caller = new HttpClient(new SocketsHttpHandler()) { BaseAddress = client.Http.BaseAddress };
            // Queued first: between the signin's start and the stop nothing else runs, however loaded the machine.
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/resend-verification", new { email = unverified })).StatusCode);
            var watch = Stopwatch.StartNew();
            var signin = caller.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword });
            await Task.Delay(100); // connected and hashing
            Assert.False(signin.IsCompleted, "the signin finished before the stop began: make the hash slower, the test proved nothing");

            var stopBegan = watch.Elapsed;
            var stopping = factory.DisposeAsync().AsTask();
            var response = await signin.WaitAsync(TimeSpan.FromSeconds(30));
            var answeredAt = watch.Elapsed;
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            disposed = true;
            var stopped = watch.Elapsed;
            output.WriteLine($"stop began at {stopBegan.TotalMilliseconds:F0} ms, signin answered at {answeredAt.TotalMilliseconds:F0} ms, host stopped at {stopped.TotalMilliseconds:F0} ms");

            Assert.True(answeredAt > stopBegan, "the signin was answered before the stop began");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var signedIn = await AuthClient.ReadSignedInAsync(response);
            Assert.False(string.IsNullOrEmpty(signedIn.AccessToken));
            Assert.False(string.IsNullOrEmpty(signedIn.RefreshToken));
            Assert.True(stopped - stopBegan < TimeSpan.FromSeconds(10), $"stopping took {(stopped - stopBegan).TotalSeconds:F1} s");

            // The host is really gone.
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => caller.GetAsync("/healthz"));

            // The session of the answered signin exists, and the resend queued before the stop was carried out.
            await using var conn = new NpgsqlConnection(connectionString);
            var sid = Guid.Parse(Tokens.TestKeys.Segment(signedIn.AccessToken, 1).GetProperty("sid").GetString()!);
            Assert.Equal(1, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM sessions WHERE id = @sid AND revoked_at IS NULL", new { sid }));
            Assert.Equal(2, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_emails WHERE \"to\" = @unverified", new { unverified }));

            var errors = factory.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, "Error-level log lines around shutdown:\n" + string.Join("\n", errors));
        }
        finally
        {
            if (!disposed) await factory.DisposeAsync();
        }
    }
}
