using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit.Abstractions;

namespace AuthService.Tests.Containers;

/// <summary>
/// The image beside PostgreSQL on one Docker network, driven over HTTP as another team's integration
/// tests would (README, "Running it in your own integration tests"): the whole account flow up to a
/// downstream API that validates the access token against the container, and a database restart
/// in the middle of signups.
/// </summary>
[Trait("Category", DockerEngine.Category)]
public sealed class ContainerEndToEndTests(ContainerStackFixture fixture, ITestOutputHelper output) : IClassFixture<ContainerStackFixture>
{
    private ServiceContainer Service => fixture.Service;

    [ContainerFact]
    public async Task SignupMailVerifySigninRefresh_ThenADownstreamApiValidatesTheAccessTokenAgainstTheContainer()
    {
        await Service.WaitUntilReadyAsync(); // the database may just have been restarted by the other test
        var http = Service.Http;

        // Signup (202), the verification mail from the dev mailbox, verify (200).
        var email = await AuthClient.CreateVerifiedUserAsync(http);

        var signin = await http.PostAsJsonAsync("/auth/signin", new { email, password = AuthClient.DefaultPassword });
        Assert.Equal(HttpStatusCode.OK, signin.StatusCode);
        var signedIn = await AuthClient.ReadSignedInAsync(signin);
        var cookie = AuthClient.RefreshSetCookie(signin)!.ToLowerInvariant();
        foreach (var attribute in new[] { "httponly", "secure", "samesite=strict", "path=/auth" }) Assert.Contains(attribute, cookie);

        // Refresh: the cookie alone is refused (CSRF guard); with X-Requested-With it rotates.
        await ProblemAssert.IsProblemAsync(await RefreshAsync(signedIn.RefreshToken, csrfHeader: false), HttpStatusCode.Forbidden, "csrf_failed");
        var refresh = await RefreshAsync(signedIn.RefreshToken, csrfHeader: true);
        Assert.Equal(HttpStatusCode.OK, refresh.StatusCode);
        var refreshed = await AuthClient.ReadSignedInAsync(refresh);
        Assert.NotEqual(signedIn.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(Jwt.SessionId(signedIn.AccessToken), Jwt.SessionId(refreshed.AccessToken));

        var claims = Jwt.Payload(refreshed.AccessToken);
        Assert.Equal(Service.BaseAddress.GetLeftPart(UriPartial.Authority), claims["iss"]!.GetValue<string>());
        var me = new HttpRequestMessage(HttpMethod.Get, "/auth/me") { Headers = { Authorization = new("Bearer", refreshed.AccessToken) } };
        var user = await (await http.SendAsync(me)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(email, user.GetProperty("email").GetString());

        // A downstream JwtBearer host that knows only the issuer URL: discovery and JWKS over HTTP from the container.
        using var backchannel = new SocketsHttpHandler();
        await using var downstream = await DownstreamApi.StartAsync(Service.BaseAddress, backchannel);
        var whoami = await downstream.WhoAmIAsync(refreshed.AccessToken);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        Assert.Equal(user.GetProperty("id").GetString(), await whoami.Content.ReadAsStringAsync());
        Assert.Equal(claims["sub"]!.GetValue<string>(), await whoami.Content.ReadAsStringAsync());

        // The same claims and kid signed by a key the container never published: refused, so the 200 above was a real check.
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = Jwt.Make(Jwt.Header(refreshed.AccessToken), claims, Jwt.Es256(stranger));
        Assert.Equal(HttpStatusCode.Unauthorized, (await downstream.WhoAmIAsync(forged)).StatusCode);
    }

    [ContainerFact]
    public async Task PostgresRestartDuringSignups_EveryAcceptedSignupIsStoredAndMailed_EveryFailureIsA503Problem()
    {
        await Service.WaitUntilReadyAsync();
        var answers = new ConcurrentQueue<SignupAnswer>();
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // bounded whatever happens
        var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(() => SignUpUntilAsync(answers, watch, stop.Token))).ToArray();
        int Accepted(TimeSpan after) => answers.Count(a => a.Status == HttpStatusCode.Accepted && a.At > after);

        await Wait.UntilAsync(() => Task.FromResult(Accepted(TimeSpan.Zero) >= 20), "20 signups accepted before the restart", TimeSpan.FromSeconds(30));
        var stopBegan = watch.Elapsed;
        await fixture.Postgres.StopAsync(); // the same container: its data stays
        var stopped = watch.Elapsed;
        await fixture.Postgres.StartAsync();
        var started = watch.Elapsed;
        await Service.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        var ready = watch.Elapsed;
        await Wait.UntilAsync(() => Task.FromResult(Accepted(ready) >= 20), "20 signups accepted after the restart", TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        var all = answers.ToArray();
        var accepted = all.Where(a => a.Status == HttpStatusCode.Accepted).ToArray();
        var failed = all.Where(a => a.Status != HttpStatusCode.Accepted).ToArray();
        output.WriteLine($"PostgreSQL stop {stopBegan.TotalMilliseconds:F0}–{stopped.TotalMilliseconds:F0} ms, started by {started.TotalMilliseconds:F0} ms, "
            + $"service ready again at {ready.TotalMilliseconds:F0} ms; {all.Length} signups: {accepted.Length} accepted, "
            + string.Join(", ", failed.GroupBy(a => a.Failure ?? ((int)a.Status).ToString(CultureInfo.InvariantCulture)).Select(g => $"{g.Count()} × {g.Key}"))
            + (failed.Length > 0 ? $" (from {failed.Min(a => a.At).TotalMilliseconds:F0} to {failed.Max(a => a.At).TotalMilliseconds:F0} ms)" : ""));

        // Every failure is the contract's 503: problem+json, service_unavailable, Retry-After; never a 500, never a dropped connection.
        Assert.True(failed.Length > 0, "no signup failed: the restart happened between requests, the test proved nothing");
        Assert.True(failed.All(a => a.Status == HttpStatusCode.ServiceUnavailable),
            "failures other than 503: " + string.Join("; ", failed.Where(a => a.Status != HttpStatusCode.ServiceUnavailable).Take(5).Select(a => a.Failure ?? $"{(int)a.Status} {a.Body}")));
        foreach (var failure in failed)
        {
            await ProblemAssert.IsProblemAsync(failure.Response!, HttpStatusCode.ServiceUnavailable, "service_unavailable");
            Assert.NotNull(failure.Response!.Headers.RetryAfter);
        }

        // Every 202 was committed: the account, its signup and its verification mail are in the database after the restart ...
        var emails = accepted.Select(a => a.Email).ToArray();
        await using var db = new NpgsqlConnection(fixture.ConnectionStringFromHost(fixture.Database));
        var stored = (await db.QueryAsync<string>("""
            SELECT u.email FROM users u
            WHERE u.email = ANY(@emails)
              AND EXISTS (SELECT 1 FROM signups s WHERE s.user_id = u.id)
              AND EXISTS (SELECT 1 FROM outbox_emails o WHERE o."to" = u.email AND o.kind = 'verify_email')
            """, new { emails })).ToHashSet();
        var missing = emails.Where(e => !stored.Contains(e)).ToArray();
        Assert.True(missing.Length == 0, $"{missing.Length} of {emails.Length} accepted signups are not in the database: {string.Join(", ", missing.Take(5))}");

        // ... and each mail goes out once the database is back: the dev mailbox shows its link.
        await Wait.UntilAsync(async () => await db.ExecuteScalarAsync<long>(
            """SELECT count(*) FROM outbox_emails WHERE "to" = ANY(@emails) AND sent_at IS NULL""", new { emails }) == 0,
            "every verification mail of an accepted signup sent", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        var nearest = new[] { accepted.Where(a => a.At < stopBegan).MaxBy(a => a.At)!, accepted.Where(a => a.At > stopped).MinBy(a => a.At)! };
        foreach (var answer in nearest)
        {
            var mails = await Service.Http.GetFromJsonAsync<JsonElement[]>($"/dev/emails?to={Uri.EscapeDataString(answer.Email)}");
            Assert.Contains(mails!, m => m.GetProperty("text").GetString()!.Contains("/verify-email?token=", StringComparison.Ordinal));
        }
        Assert.DoesNotContain("Unhandled exception", await Service.LogsAsync());
    }

    /// <summary>One signup after another, each with a new address, until cancelled; every answer (or transport failure) recorded.</summary>
    private async Task SignUpUntilAsync(ConcurrentQueue<SignupAnswer> answers, Stopwatch watch, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var email = AuthClient.NewEmail("restart");
            try
            {
                var response = await Service.Http.PostAsJsonAsync("/auth/signup", new { email, password = AuthClient.DefaultPassword }, CancellationToken.None);
                answers.Enqueue(new SignupAnswer(email, watch.Elapsed, response.StatusCode, response, await response.Content.ReadAsStringAsync(CancellationToken.None), null));
            }
            catch (HttpRequestException e)
            {
                answers.Enqueue(new SignupAnswer(email, watch.Elapsed, 0, null, "", $"no HTTP answer: {e.Message}"));
            }
        }
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken, bool csrfHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/auth/refresh");
        request.Headers.Add("Cookie", $"{AuthClient.CookieName}={refreshToken}");
        if (csrfHeader) request.Headers.Add("X-Requested-With", "XMLHttpRequest");
        return Service.Http.SendAsync(request);
    }
}
