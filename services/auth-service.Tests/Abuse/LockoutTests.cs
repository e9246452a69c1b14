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
        Assert.InRange(retryAfter, 55, 60);

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
            new Dictionary<string, string?> { ["Auth:Lockout:MaxFailures"] = "100" }).StartAsync();
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
}

