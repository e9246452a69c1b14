using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Telemetry;

/// <summary>
/// Spans and metrics as the exporters see them (in-memory exporter, and /metrics on its own port):
/// outcomes are counted where they happen, a signin's trace shows its database work and its hash, the
/// problem's traceId names the request's trace, and no attribute carries a user's secrets or identity.
/// </summary>
public sealed class TelemetryTests(TelemetryFixture fixture) : IClassFixture<TelemetryFixture>
{
    private const string Reused = "reused";
    private TelemetryCapture Capture => fixture.Capture;

    [Fact]
    public async Task RefreshTokenReuse_CountsOneReusedRefresh()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var rotatedBefore = Capture.Sum("auth.refresh.attempts", "outcome", "rotated");
        Assert.Equal(HttpStatusCode.OK, (await client.RefreshAsync(signedIn.RefreshToken)).StatusCode);
        Assert.Equal(rotatedBefore + 1, Capture.Sum("auth.refresh.attempts", "outcome", "rotated"));

        var reusedBefore = Capture.Sum("auth.refresh.attempts", "outcome", Reused);
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(11)); // past the 10 s grace window
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        Assert.Equal(reusedBefore + 1, Capture.Sum("auth.refresh.attempts", "outcome", Reused));
    }

    [Fact]
    public async Task SigninOutcomes_AreCountedByOutcome()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var before = SigninCounts();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, "not the password at all 1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SigninRawAsync(email)).StatusCode);
        var unverified = AuthClient.NewEmail("unverified");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(unverified)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SigninRawAsync(unverified)).StatusCode);

        var after = SigninCounts();
        Assert.Equal(before["invalid_credentials"] + 1, after["invalid_credentials"]);
        Assert.Equal(before["succeeded"] + 1, after["succeeded"]);
        Assert.Equal(before["not_verified"] + 1, after["not_verified"]);
        Assert.Equal(before["locked"], after["locked"]);
    }

    [Fact]
    public async Task Lockout_CountsOneLockoutStarted_ThenLockedSignins()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail("locked"); // unknown emails are counted and locked the same way
        var lockoutsBefore = Capture.Sum("auth.lockouts.started");
        var lockedBefore = Capture.Sum("auth.signin.attempts", "outcome", "locked");

        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, "wrong password attempt " + i)).StatusCode);
        Assert.Equal(lockoutsBefore + 1, Capture.Sum("auth.lockouts.started"));
        Assert.Equal((HttpStatusCode)429, (await client.SigninRawAsync(email)).StatusCode);

        Assert.Equal(lockoutsBefore + 1, Capture.Sum("auth.lockouts.started")); // a refused attempt starts no new lock
        Assert.Equal(lockedBefore + 1, Capture.Sum("auth.signin.attempts", "outcome", "locked"));
    }

    [Fact]
    public async Task Signin_ServerSpan_HasADatabaseChildAndAHashChild()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var traceId = ActivityTraceId.CreateRandom();

        var response = await SendTracedAsync(client, traceId, "/auth/signin", new { email, password = AuthClient.DefaultPassword });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var server = await ServerSpanAsync(traceId);
        Assert.Equal("/auth/signin", server.GetTagItem("http.route"));
        var children = Capture.Spans.Where(s => s.TraceId == traceId && s.ParentSpanId == server.SpanId).ToList();
        Assert.Contains(children, s => s.Source.Name == "Npgsql");
        var hash = Assert.Single(children, s => s.Source.Name == "AuthService" && s.DisplayName == "password.verify");
        Assert.True(hash.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task Problem_TraceId_IsTheRequestSpanOfTheCallersTrace()
    {
        var client = fixture.NewClient();
        var traceId = ActivityTraceId.CreateRandom();

        var response = await SendTracedAsync(client, traceId, "/auth/signin", new { email = AuthClient.NewEmail(), password = "whatever it may be 12" });
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_credentials");

        // API.md's form, 00-{trace id}-{span id}-{flags}: the trace the caller started, and the server's span in it.
        var server = await ServerSpanAsync(traceId);
        Assert.Equal(server.Id, problem.GetProperty("traceId").GetString());
        Assert.StartsWith($"00-{traceId}-", server.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSpanOrMetricAttribute_CarriesAnEmailPasswordTokenAddressOrUserId()
    {
        var client = fixture.NewClient();
        var email = AuthClient.NewEmail("secretive");
        var secrets = new List<string> { email, email.Split('@')[0], TelemetryFixture.ClientAddress, fixture.DatabasePassword };
        const string first = "first telemetry passphrase 71", wrong = "wrong telemetry passphrase 72", second = "second telemetry passphrase 73", third = "third telemetry passphrase 74";
        secrets.AddRange([first, wrong, second, third]);

        Assert.Equal(HttpStatusCode.Accepted, (await client.SignupAsync(email, first)).StatusCode);
        var verifyToken = await client.TokenFromEmailAsync(email);
        secrets.Add(verifyToken);
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/verify-email", new { token = verifyToken })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SigninRawAsync(email, wrong)).StatusCode);
        var signedIn = await client.SigninAsync(email, first);
        secrets.AddRange([signedIn.AccessToken, signedIn.RefreshToken]);
        var me = await (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).Content.ReadFromJsonAsync<JsonElement>();
        var userId = me.GetProperty("id").GetGuid();
        secrets.AddRange([userId.ToString(), userId.ToString("N")]);

        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        secrets.Add(AuthClient.RefreshCookieValue(refreshed)!);
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.RefreshAsync(signedIn.RefreshToken)).StatusCode); // reuse: revoked and mailed

        var again = await client.SigninAsync(email, first);
        secrets.AddRange([again.AccessToken, again.RefreshToken]);
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/password/change", again.AccessToken,
            new { currentPassword = first, newPassword = second })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var resetToken = await client.TokenFromEmailAsync(email, "reset-password");
        secrets.Add(resetToken);
        await client.Http.GetAsync($"/reset-password?token={resetToken}"); // a mailed link as a browser opens it: the token in the query
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostJsonAsync("/auth/password/reset", new { token = resetToken, newPassword = third })).StatusCode);
        var last = await client.SigninAsync(email, third);
        secrets.AddRange([last.AccessToken, last.RefreshToken]);
        await client.WaitForRenderedAsync(email);

        await using (var db = client.OpenDatabase()) // the claimed client address really reached the service
            Assert.Contains(TelemetryFixture.ClientAddress, await db.QueryAsync<string>("SELECT ip FROM audit_events WHERE user_id = @userId", new { userId }));

        using var scraper = new HttpClient();
        var traces = Capture.Spans;
        Assert.Contains(traces, s => s.DisplayName == "outbox.send");
        Assert.Contains(traces, s => s.DisplayName == "password-reset-request");
        var texts = traces.SelectMany(SpanTexts)
            .Concat(Capture.Measure().SelectMany(p => p.Tags.Select(t => $"{t.Key}={t.Value}")))
            .Append(await scraper.GetStringAsync(fixture.MetricsAddress))
            .ToList();
        foreach (var secret in secrets.Distinct())
        {
            var leak = texts.FirstOrDefault(t => t.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leak is null, $"A span or metric carries a secret or personal value: {leak}");
        }
    }

    [Fact]
    public async Task MetricsPort_ServesPrometheusText_WithTheServiceMeter_AndTheApiPortDoesNot()
    {
        var client = fixture.NewClient();
        await client.SignupAndSigninAsync();
        using var scraper = new HttpClient();

        var scrape = await scraper.GetAsync(fixture.MetricsAddress);
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("text/plain", scrape.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE auth_signin_attempts_total counter", text);
        Assert.Contains("otel_scope_name=\"AuthService\"", text);
        Assert.Matches(@"auth_signin_attempts_total\{[^}]*outcome=""succeeded""[^}]*\} [1-9]", text);
        Assert.Contains("service_name=\"auth-service\"", text);

        // The API's port: /metrics is no route there. The metrics port: nothing but /metrics.
        await ProblemAssert.IsProblemAsync(await client.Http.GetAsync("/metrics"), HttpStatusCode.NotFound, "not_found");
        Assert.NotEqual(client.Http.BaseAddress!.Port, fixture.MetricsAddress.Port);
        Assert.Equal(HttpStatusCode.NotFound, (await scraper.GetAsync(new Uri(fixture.MetricsAddress, "/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await scraper.PostAsJsonAsync(new Uri(fixture.MetricsAddress, "/auth/signin"), new { })).StatusCode);

        // The metrics server's own traffic is no API traffic: its connections and requests are not measured.
        var server = (await scraper.GetStringAsync(fixture.MetricsAddress)).Split('\n').Where(l => l.StartsWith("kestrel_", StringComparison.Ordinal)).ToList();
        Assert.Contains(server, l => l.Contains($"server_port=\"{client.Http.BaseAddress.Port}\"", StringComparison.Ordinal));
        Assert.DoesNotContain(server, l => l.Contains($"server_port=\"{fixture.MetricsAddress.Port}\"", StringComparison.Ordinal));
    }

    private Dictionary<string, double> SigninCounts()
    {
        var points = Capture.Measure().Where(p => p.Name == "auth.signin.attempts").ToList();
        return new[] { "succeeded", "invalid_credentials", "locked", "not_verified" }
            .ToDictionary(o => o, o => points.Where(p => Equals(p.Tags.GetValueOrDefault("outcome"), o)).Sum(p => p.Value));
    }

    /// <summary>A POST made within the caller's trace <paramref name="traceId"/>: HttpClient sends it on as traceparent.</summary>
    private static async Task<HttpResponseMessage> SendTracedAsync(AuthClient client, ActivityTraceId traceId, string path, object body)
    {
        using var caller = new Activity("caller").SetParentId(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        return await client.Http.PostAsJsonAsync(path, body);
    }

    /// <summary>The service's span for the request of <paramref name="traceId"/>; it ends just after the answer is sent.</summary>
    private Task<Activity> ServerSpanAsync(ActivityTraceId traceId) => Wait.ForAsync(
        () => Task.FromResult(Capture.Spans.FirstOrDefault(s => s.TraceId == traceId && s.Kind == ActivityKind.Server)),
        $"the server span of trace {traceId}");

    /// <summary>Everything a span exports as text: its name, status, tags, and its events' and links' tags.</summary>
    private static IEnumerable<string> SpanTexts(Activity span) =>
        new[] { span.DisplayName, span.StatusDescription ?? "" }
            .Concat(span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
            .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}: {t.Key}={t.Value}")))
            .Concat(span.Links.SelectMany(l => (l.Tags ?? []).Select(t => $"link: {t.Key}={t.Value}")))
            .Concat(span.Baggage.Select(b => $"baggage: {b.Key}={b.Value}"));
}
