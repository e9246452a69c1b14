using System.Diagnostics;
using System.Net;
using AuthService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace AuthService.Tests.Resilience;

/// <summary>
/// The database goes away (API.md: "service_unavailable | 503 | the database is unreachable;
/// Retry-After set"): every request answers 503 quickly instead of hanging or failing with 500, the
/// liveness probe stays green, and the service recovers by itself when the database returns.
/// </summary>
[Collection(DatabaseOutageCollection.Name)]
[Trait("Category", "Slow")]
public sealed class DatabaseOutageTests(DedicatedPostgresFixture pg, ITestOutputHelper output)
{
    /// <summary>Hard limit for one answer during an outage (a few seconds expected).</summary>
    private static readonly TimeSpan MaxOutageAnswer = TimeSpan.FromSeconds(10);

    /// <summary>"Within a few seconds" for requests to a service that started without its database.</summary>
    private static readonly TimeSpan MaxStartingAnswer = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MaxRecovery = TimeSpan.FromSeconds(10);

    private readonly List<(string What, HttpStatusCode Status, TimeSpan Elapsed)> answers = [];

    private async Task<HttpResponseMessage> TimedAsync(string what, Func<Task<HttpResponseMessage>> send)
    {
        var watch = Stopwatch.StartNew();
        // A hang fails here rather than at HttpClient's 100 s default.
        var response = await send().WaitAsync(TimeSpan.FromSeconds(30));
        watch.Stop();
        lock (answers) answers.Add((what, response.StatusCode, watch.Elapsed));
        output.WriteLine($"{what}: {(int)response.StatusCode} in {watch.Elapsed.TotalMilliseconds:F0} ms");
        return response;
    }

    // Time limits are checked at the end of a test, so that one run measures the whole scenario.
    private readonly List<string> tooSlow = [];

    private async Task AssertUnavailableAsync(HttpResponseMessage response, string what, TimeSpan limit)
    {
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "service_unavailable");
        Assert.True(response.Headers.RetryAfter is not null, $"{what}: 503 without Retry-After");
        var elapsed = answers.Last(a => a.What == what).Elapsed;
        if (elapsed >= limit) tooSlow.Add($"{what} took {elapsed.TotalSeconds:F1} s to answer 503 (limit {limit.TotalSeconds} s)");
    }

    private void AssertRecoveredIn(TimeSpan recovery)
    {
        output.WriteLine($"ready {recovery.TotalMilliseconds:F0} ms after the database came up");
        if (recovery >= MaxRecovery) tooSlow.Add($"ready only {recovery.TotalSeconds:F1} s after the database came up (limit {MaxRecovery.TotalSeconds} s)");
    }

    private void AssertNothingTooSlow() => Assert.True(tooSlow.Count == 0, string.Join("\n", tooSlow));

    private async Task<TimeSpan> WaitUntilReadyAsync(HttpClient http)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var response = await http.GetAsync("/readyz");
            lock (answers) answers.Add(("readyz (recovering)", response.StatusCode, TimeSpan.Zero));
            if (response.StatusCode == HttpStatusCode.OK) return watch.Elapsed;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("The service did not become ready within 30 s of the database's return.");
            await Task.Delay(100);
        }
    }

    private void AssertNoServerErrors(AuthServiceFactory factory)
    {
        Assert.DoesNotContain(answers, a => (int)a.Status >= 500 && a.Status != HttpStatusCode.ServiceUnavailable);
        var errors = factory.Logs.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, "Error-level log lines during a database outage (it is an expected condition, logged as a warning):\n"
            + string.Join("\n", errors.Select(e => e.Length > 600 ? e[..600] + "…" : e)));
    }

    [Fact]
    public async Task StartedWhileTheDatabaseIsDown_ProbesAndRequestsAnswerPromptly_ThenItBecomesReadyByItself()
    {
        var connectionString = await pg.CreateDatabaseAsync();
        await pg.Server.StopAsync();
        var databaseUp = false;
        try
        {
            await using var factory = new AuthServiceFactory(connectionString);
            var client = new AuthClient(factory); // creating the client starts the host

            var healthz = await TimedAsync("healthz (db down)", () => client.Http.GetAsync("/healthz"));
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            var readyz = await TimedAsync("readyz (db down)", () => client.Http.GetAsync("/readyz"));
            await AssertUnavailableAsync(readyz, "readyz (db down)", MaxStartingAnswer);

            var email = AuthClient.NewEmail("cold");
            var signup = TimedAsync("signup (db down at startup)", () => client.SignupAsync(email));
            var signin = TimedAsync("signin (db down at startup)", () => client.SigninRawAsync(email));
            await AssertUnavailableAsync(await signup, "signup (db down at startup)", MaxStartingAnswer);
            await AssertUnavailableAsync(await signin, "signin (db down at startup)", MaxStartingAnswer);

            await pg.Server.StartAgainAsync();
            databaseUp = true;
            var recovery = await WaitUntilReadyAsync(client.Http);
            AssertRecoveredIn(recovery);

            var signedIn = await client.SignupAndSigninAsync();
            var refreshed = await TimedAsync("refresh (recovered)", () => client.RefreshAsync(signedIn.RefreshToken));
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
            AssertNoServerErrors(factory);
            AssertNothingTooSlow();
        }
        finally
        {
            if (!databaseUp) await pg.Server.StartAgainAsync();
        }
    }

    [Fact]
    public async Task DatabaseStopsMidRun_RequestsAnswer503Promptly_ThenItRecoversByItself_WithoutLosingAcknowledgedSignups()
    {
        var connectionString = await pg.CreateDatabaseAsync();
        await using var factory = await new AuthServiceFactory(connectionString).StartAsync();
        var client = new AuthClient(factory);

        var userEmail = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(userEmail);
        var acknowledged = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var email = AuthClient.NewEmail($"acked{i}");
            var response = await TimedAsync("signup (before)", () => client.SignupAsync(email));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            acknowledged.Add(email);
        }

        await pg.Server.StopAsync();
        var databaseUp = false;
        try
        {
            // Twice each: the first requests meet pooled connections the shutdown broke, later ones a refused connect.
            for (var round = 1; round <= 2; round++)
            {
                var email = AuthClient.NewEmail($"outage{round}");
                var signup = await TimedAsync($"signup #{round}", () => client.SignupAsync(email));
                if (signup.StatusCode == HttpStatusCode.Accepted) acknowledged.Add(email); // acknowledged: must not be lost
                else await AssertUnavailableAsync(signup, $"signup #{round}", MaxOutageAnswer);

                await AssertUnavailableAsync(await TimedAsync($"signin #{round}", () => client.SigninRawAsync(userEmail)), $"signin #{round}", MaxOutageAnswer);
                await AssertUnavailableAsync(await TimedAsync($"me #{round}", () => client.GetWithBearerAsync("/auth/me", session.AccessToken)), $"me #{round}", MaxOutageAnswer);
                await AssertUnavailableAsync(await TimedAsync($"refresh #{round}", () => client.RefreshAsync(session.RefreshToken)), $"refresh #{round}", MaxOutageAnswer);
                await AssertUnavailableAsync(await TimedAsync($"readyz #{round}", () => client.Http.GetAsync("/readyz")), $"readyz #{round}", MaxOutageAnswer);
                Assert.Equal(HttpStatusCode.OK, (await TimedAsync($"healthz #{round}", () => client.Http.GetAsync("/healthz"))).StatusCode);
            }

            await pg.Server.StartAgainAsync();
            databaseUp = true;
        }
        finally
        {
            if (!databaseUp) await pg.Server.StartAgainAsync();
        }

        var recovery = await WaitUntilReadyAsync(client.Http);
        AssertRecoveredIn(recovery);

        // The refresh that failed with 503 changed nothing: the same cookie rotates now, and the old access token works.
        var refreshed = await TimedAsync("refresh (recovered)", () => client.RefreshAsync(session.RefreshToken));
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TimedAsync("me (recovered)", () => client.GetWithBearerAsync("/auth/me", session.AccessToken))).StatusCode);

        // A full signin + refresh works.
        var again = await client.SigninAsync(userEmail);
        Assert.Equal(HttpStatusCode.OK, (await TimedAsync("refresh after signin (recovered)", () => client.RefreshAsync(again.RefreshToken))).StatusCode);

        // Every acknowledged signup survived: it can verify and sign in.
        foreach (var email in acknowledged)
        {
            var token = await client.TokenFromEmailAsync(email);
            Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await TimedAsync($"signin {email}", () => client.SigninRawAsync(email))).StatusCode);
        }

        AssertNoServerErrors(factory);
        AssertNothingTooSlow();
    }
}
