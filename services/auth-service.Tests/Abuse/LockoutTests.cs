using System.Net;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Abuse;

/// <summary>
/// Failed signins counted per normalized email in PostgreSQL (API.md: 10 failures in 10 minutes
/// lock that email for 15 minutes), whether or not the account exists.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LockoutTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private const int MaxFailures = 10;
    private const string WrongPassword = "definitely not the password 99";
    private static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    private AuthServiceFactory Factory => fixture.Factory;

    private static async Task<(int Count, DateTime? LockedUntil)?> FailureRowAsync(string connectionString, string email)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        var row = await conn.QuerySingleOrDefaultAsync<(int, DateTime?)?>(
            "SELECT count, locked_until FROM signin_failures WHERE email = @email", new { email });
        return row;
    }

    private static async Task FailAsync(AuthClient client, string email, int times)
    {
        for (var i = 0; i < times; i++)
            await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");
    }

    private static async Task<(JsonElement Problem, int RetryAfter)> AssertLockedAsync(HttpResponseMessage response)
    {
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests, "account_locked");
        Assert.Null(AuthClient.RefreshSetCookie(response));
        return (problem, AbuseKit.RetryAfterSeconds(response));
    }

    [Fact]
    public async Task TenWrongPasswords_LockTheEmail_EvenTheRightPasswordIsRefused()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();

        await FailAsync(client, email, MaxFailures);
        var (_, retryAfter) = await AssertLockedAsync(await client.SigninRawAsync(email));

        Assert.InRange(retryAfter, (int)LockoutDuration.TotalSeconds - 5, (int)LockoutDuration.TotalSeconds);
        var row = await FailureRowAsync(Factory.ConnectionString, email);
        Assert.Equal(MaxFailures, row!.Value.Count);
    }

    [Fact]
    public async Task NineWrongPasswords_DoNotLock()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();

        await FailAsync(client, email, MaxFailures - 1);

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task UnknownEmail_LocksExactlyLikeARealAccount()
    {
        var client = new AuthClient(Factory);
        var real = await client.CreateVerifiedUserAsync();
        var unknown = AuthClient.NewEmail("nobody");

        var realFailures = new List<JsonElement>();
        var unknownFailures = new List<JsonElement>();
        for (var i = 0; i < MaxFailures; i++)
        {
            realFailures.Add(await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(real, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials"));
            unknownFailures.Add(await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(unknown, WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials"));
        }
        var (realLocked, realRetry) = await AssertLockedAsync(await client.SigninRawAsync(real));
        var (unknownLocked, unknownRetry) = await AssertLockedAsync(await client.SigninRawAsync(unknown, AuthClient.DefaultPassword));

        // The clock does not move between the two, so the answers must be identical but for the traceId.
        Assert.Equal(realRetry, unknownRetry);
        Assert.Equal(Without(realLocked, "traceId"), Without(unknownLocked, "traceId"));
        Assert.Equal(realFailures.Select(p => Without(p, "traceId")), unknownFailures.Select(p => Without(p, "traceId")));
        Assert.Equal((await FailureRowAsync(Factory.ConnectionString, real))!.Value.Count, (await FailureRowAsync(Factory.ConnectionString, unknown))!.Value.Count);
    }

    private static string Without(JsonElement problem, string member) =>
        JsonSerializer.Serialize(problem.EnumerateObject().Where(p => p.Name != member).ToDictionary(p => p.Name, p => p.Value));

    [Fact]
    public async Task CaseAndWhitespaceVariants_ShareOneCounter()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync(AuthClient.NewEmail("Variant").ToLowerInvariant());
        var upper = email.ToUpperInvariant();
        var variants = new[] { email, upper, $"  {email}", $"{email}\t", $" {upper} ", char.ToUpperInvariant(email[0]) + email[1..], $"\n{email}\n" };

        for (var i = 0; i < MaxFailures; i++)
            await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(variants[i % variants.Length], WrongPassword), HttpStatusCode.Unauthorized, "invalid_credentials");

        await AssertLockedAsync(await client.SigninRawAsync(email));
        await AssertLockedAsync(await client.SigninRawAsync($" {upper}"));
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        var local = email.Split('@')[0];
        var rows = (await conn.QueryAsync<(string, int)>("SELECT email, count FROM signin_failures WHERE strpos(lower(email), @local) > 0", new { local })).ToList();
        Assert.Equal([(email, MaxFailures)], rows);
    }

    [Fact]
    public async Task AfterTheLockExpires_RightPasswordWorks_AndResetsTheCounter()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();
        await FailAsync(client, email, MaxFailures);
        await AssertLockedAsync(await client.SigninRawAsync(email));

        Factory.Clock.Advance(TimeSpan.FromMinutes(14));
        var (_, retryAfter) = await AssertLockedAsync(await client.SigninRawAsync(email));
        Assert.InRange(retryAfter, 55, 61); // the database's clock, read by two statements a few ms apart, rounded up

        Factory.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        Assert.Null(await FailureRowAsync(Factory.ConnectionString, email));

        // A fresh budget: nine more failures still leave the account usable.
        await FailAsync(client, email, MaxFailures - 1);
        Assert.Equal(MaxFailures - 1, (await FailureRowAsync(Factory.ConnectionString, email))!.Value.Count);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
    }

    [Fact]
    public async Task TwoInstancesOnOneDatabase_ShareTheCount()
    {
        await using var second = await new AuthServiceFactory(Factory.ConnectionString).StartAsync();
        second.Clock.Set(Factory.Clock.GetUtcNow()); // replicas agree on the time
        var first = new AuthClient(Factory);
        var other = new AuthClient(second);
        var email = await first.CreateVerifiedUserAsync();

        await FailAsync(first, email, MaxFailures / 2);
        await FailAsync(other, email, MaxFailures / 2);

        var (_, retryFirst) = await AssertLockedAsync(await first.SigninRawAsync(email));
        var (_, retrySecond) = await AssertLockedAsync(await other.SigninRawAsync(email));
        Assert.InRange(retryFirst, (int)LockoutDuration.TotalSeconds - 5, (int)LockoutDuration.TotalSeconds);
        Assert.InRange(retrySecond, (int)LockoutDuration.TotalSeconds - 5, (int)LockoutDuration.TotalSeconds);
    }

    /// <summary><paramref name="count"/> wrong-password signins released at once.</summary>
    private static async Task<HttpResponseMessage[]> ParallelSigninsAsync(AuthClient client, string email, int count)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(_ => Task.Run(async () =>
        {
            await gate.Task;
            return await client.SigninRawAsync(email, WrongPassword);
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task TwentyParallelWrongAttempts_BelowTheLimit_AreCountedExactly()
    {
        // Same database, a limit the burst cannot reach: no attempt is refused, so all 20 must be counted.
        await using var lenient = await new AuthServiceFactory(Factory.ConnectionString,
            new Dictionary<string, string?>
            {
                ["Auth:Lockout:MaxFailures"] = "100",
                // 20 hashes queue behind two cores: this test counts attempts, it does not test the queue's bound.
                ["Auth:Password:HashQueueTimeout"] = "00:01:00",
            }).StartAsync();
        var client = new AuthClient(lenient);
        var email = await client.CreateVerifiedUserAsync();

        var responses = await ParallelSigninsAsync(client, email, 20);

        foreach (var response in responses)
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
        Assert.Equal(20, (await FailureRowAsync(Factory.ConnectionString, email))!.Value.Count);
    }

    [Fact]
    public async Task TwentyParallelWrongAttempts_AreAllCounted()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();
        var responses = await ParallelSigninsAsync(client, email, 20);

        var failed = 0;
        foreach (var response in responses)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"{(int)response.StatusCode}: {body}");
            var code = JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();
            if (response.StatusCode == HttpStatusCode.Unauthorized) { Assert.Equal("invalid_credentials", code); failed++; }
            else Assert.Equal("account_locked", code);
        }

        // Every 401 was counted (no lost update), and the count went past the limit: locked.
        var row = await FailureRowAsync(Factory.ConnectionString, email);
        Assert.Equal(failed, row!.Value.Count);
        Assert.True(failed >= MaxFailures, $"only {failed} attempts were answered 401");
        Assert.NotNull(row.Value.LockedUntil);
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        Assert.Equal(failed, await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_events WHERE kind = 'signin_failed' AND details->>'email' = @email", new { email }));
        await AssertLockedAsync(await client.SigninRawAsync(email));
    }

    /// <summary>Every request started at once, each from its own task.</summary>
    private static async Task<HttpResponseMessage[]> AllAtOnceAsync(IEnumerable<Func<Task<HttpResponseMessage>>> requests)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = requests.Select(send => Task.Run(async () =>
        {
            await gate.Task;
            return await send();
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    private static async Task<int> AuditCountAsync(string connectionString, string kind, string email)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        return await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_events WHERE kind = @kind AND details->>'email' = @email", new { kind, email });
    }

    /// <summary>Exactly MaxFailures answers were checked (401), every other one refused unchecked (429 with Retry-After).</summary>
    private async Task AssertExactlyMaxFailuresCheckedAsync(HttpResponseMessage[] responses, string email)
    {
        var summary = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized) == MaxFailures, $"{MaxFailures} checks expected: {summary}");
        Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests) == responses.Length - MaxFailures, summary);
        foreach (var response in responses)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");
            else
                Assert.InRange((await AssertLockedAsync(response)).RetryAfter, (int)LockoutDuration.TotalSeconds - 5, (int)LockoutDuration.TotalSeconds);
        }
        var row = await FailureRowAsync(Factory.ConnectionString, email);
        Assert.Equal(MaxFailures, row!.Value.Count);
        Assert.NotNull(row.Value.LockedUntil);

        // One audit row per checked guess, numbered 1..MaxFailures in the window.
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        var numbers = (await conn.QueryAsync<int>(
            "SELECT (details->>'failures')::int FROM audit_events WHERE kind = 'signin_failed' AND details->>'email' = @email ORDER BY 1",
            new { email })).ToList();
        Assert.Equal(Enumerable.Range(1, MaxFailures), numbers);
    }

    [Fact]
    public async Task ThirtySixParallelWrongGuesses_OneInstance_ExactlyMaxFailuresAreChecked_TheRestLocked()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();

        var responses = await AllAtOnceAsync(Enumerable.Range(0, 36)
            .Select(_ => (Func<Task<HttpResponseMessage>>)(() => client.SigninRawAsync(email, WrongPassword))));

        await AssertExactlyMaxFailuresCheckedAsync(responses, email);
    }

    [Fact]
    public async Task ThirtySixParallelWrongGuesses_TwoInstancesOnOneDatabase_ExactlyMaxFailuresAreChecked()
    {
        await using var second = await new AuthServiceFactory(Factory.ConnectionString).StartAsync();
        second.Clock.Set(Factory.Clock.GetUtcNow()); // replicas agree on the time
        var first = new AuthClient(Factory);
        var other = new AuthClient(second);
        var email = await first.CreateVerifiedUserAsync();

        var responses = await AllAtOnceAsync(Enumerable.Range(0, 36)
            .Select(i => (Func<Task<HttpResponseMessage>>)(() => (i % 2 == 0 ? first : other).SigninRawAsync(email, WrongPassword))));

        await AssertExactlyMaxFailuresCheckedAsync(responses, email);
    }

    [Fact]
    public async Task OneFailureLeft_ParallelGuessesWithTheRightPasswordAmongThem_AtMostOneMoreIsChecked()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();
        await FailAsync(client, email, MaxFailures - 1);

        var responses = await AllAtOnceAsync(Enumerable.Range(0, 20)
            .Select(i => (Func<Task<HttpResponseMessage>>)(() => client.SigninRawAsync(email, i == 7 ? AuthClient.DefaultPassword : WrongPassword))));

        var summary = string.Join(", ", responses.GroupBy(r => (int)r.StatusCode).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, summary));
        var signedIn = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var wrongChecked = responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized);
        var row = await FailureRowAsync(Factory.ConnectionString, email);
        if (signedIn == 0)
        {
            // A wrong guess took the last attempt and locked the email: the right password was refused unchecked.
            Assert.True(wrongChecked == 1, summary);
            Assert.Equal(MaxFailures, row!.Value.Count);
            Assert.NotNull(row.Value.LockedUntil);
        }
        else
        {
            // The right password took the last attempt; its session cleared the count, so any guess checked
            // after it was counted in a fresh window: none of the old window's budget was exceeded.
            Assert.Equal(1, signedIn);
            Assert.Equal(wrongChecked, row?.Count ?? 0);
        }
        Assert.Equal(MaxFailures - 1 + wrongChecked, await AuditCountAsync(Factory.ConnectionString, "signin_failed", email));
    }

    [Fact]
    public async Task RightPassword_OnAnUnverifiedAccount_403_StaysCounted_OnlyAnIssuedSessionClears()
    {
        var client = new AuthClient(Factory);
        var email = AuthClient.NewEmail("unverified");
        (await client.SignupAsync(email)).EnsureSuccessStatusCode();
        await FailAsync(client, email, MaxFailures - 1);

        await ProblemAssert.IsProblemAsync(await client.SigninRawAsync(email), HttpStatusCode.Forbidden, "email_not_verified");

        // The right password was a checked attempt that issued no session: it counted, and it was the last one.
        var row = await FailureRowAsync(Factory.ConnectionString, email);
        Assert.Equal(MaxFailures, row!.Value.Count);
        await AssertLockedAsync(await client.SigninRawAsync(email));

        Factory.Clock.Advance(LockoutDuration + TimeSpan.FromSeconds(1));
        (await client.PostJsonAsync("/auth/verify-email", new { token = await client.TokenFromEmailAsync(email) })).EnsureSuccessStatusCode();
        await FailAsync(client, email, 2);
        Assert.Equal(2, (await FailureRowAsync(Factory.ConnectionString, email))!.Value.Count);

        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        Assert.Null(await FailureRowAsync(Factory.ConnectionString, email));
    }

    [Fact]
    public async Task RightPassword_WhenTheSessionCannotBeCreated_DoesNotClearTheCount()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();
        await FailAsync(client, email, 3);
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        var userId = await conn.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        var name = $"refuse_session_{userId:N}";
        // Something fails after the password was checked: the session insert, for this user only.
        await conn.ExecuteAsync($"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.user_id = '{userId}' THEN RAISE EXCEPTION 'test: no session for this user'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {name} BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION {name}();
            """);
        try
        {
            var response = await client.SigninRawAsync(email);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Null(AuthClient.RefreshSetCookie(response));
        }
        finally
        {
            await conn.ExecuteAsync($"DROP TRIGGER {name} ON sessions; DROP FUNCTION {name}();");
        }

        Assert.Equal(4, (await FailureRowAsync(Factory.ConnectionString, email))!.Value.Count);
    }

    [Fact]
    public async Task LockedEmail_RightPassword_IsRefusedUnchecked_AndUncounted()
    {
        var client = new AuthClient(Factory);
        var email = await client.CreateVerifiedUserAsync();
        await FailAsync(client, email, MaxFailures);
        var before = await FailureRowAsync(Factory.ConnectionString, email);

        await AssertLockedAsync(await client.SigninRawAsync(email));
        foreach (var response in await AllAtOnceAsync(Enumerable.Range(0, 10)
                     .Select(_ => (Func<Task<HttpResponseMessage>>)(() => client.SigninRawAsync(email)))))
            await AssertLockedAsync(response);

        Assert.Equal(before, await FailureRowAsync(Factory.ConnectionString, email));
        Assert.Equal(MaxFailures, await AuditCountAsync(Factory.ConnectionString, "signin_failed", email));
        await using var conn = new NpgsqlConnection(Factory.ConnectionString);
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audit_events a JOIN users u ON u.id = a.user_id WHERE u.email = @email AND a.kind = 'signin_succeeded'", new { email }));
    }

    [Fact]
    public async Task BusyHashingQueue_503sSpendTheBudget_SoTheyNeverBuyExtraChecks()
    {
        // One hashing slot that gives up almost at once: a burst is answered partly 503.
        await using var tight = await new AuthServiceFactory(Factory.ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:Password:MaxConcurrentHashes"] = "1",
            ["Auth:Password:HashQueueTimeout"] = "00:00:00.001",
        }).StartAsync();
        var client = new AuthClient(tight);
        for (var burst = 0; ; burst++)
        {
            var email = AuthClient.NewEmail("busy");
            var responses = await AllAtOnceAsync(Enumerable.Range(0, 36)
                .Select(_ => (Func<Task<HttpResponseMessage>>)(() => client.SigninRawAsync(email, WrongPassword))));
            var statuses = responses.Select(r => (int)r.StatusCode).ToList();
            var summary = string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"));
            Assert.All(statuses, s => Assert.True(s is 401 or 429 or 503, summary));
            // A 503 was admitted and counted before it found the queue full: checked and busy answers share one budget.
            Assert.True(statuses.Count(s => s is 401 or 503) == MaxFailures, summary);
            Assert.Equal(MaxFailures, (await FailureRowAsync(Factory.ConnectionString, email))!.Value.Count);
            Assert.Equal(statuses.Count(s => s == 401), await AuditCountAsync(Factory.ConnectionString, "signin_failed", email));
            if (statuses.Contains(503)) break;
            Assert.True(burst < 5, $"no burst overflowed the hashing queue: {summary}");
        }
    }
}
