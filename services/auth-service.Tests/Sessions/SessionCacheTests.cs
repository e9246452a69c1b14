using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Sessions;
using AuthService.Tests.Admin;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Sessions;

/// <summary>Two replicas on one database, each with its session cache and change listener.</summary>
public sealed class CachingReplicasFixture : IAsyncLifetime
{
    public AuthServiceFactory A { get; private set; } = null!;
    public AuthServiceFactory B { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["Auth:Password:HashQueueTimeout"] = "00:01:00" };
        A = new AuthServiceFactory(ConnectionString, settings);
        B = new AuthServiceFactory(ConnectionString, settings);
        var now = DateTimeOffset.UtcNow;
        A.Clock.Set(now);
        B.Clock.Set(now);
        await A.StartAsync();
        await B.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

/// <summary>
/// The session cache never answers with a state older than the bound the contract states (API.md, "Bearer checks"):
/// a change made through replica A, or in SQL, shows on replica B, which had the session cached, within 1 s; a change
/// made on a replica shows there at once; and while the listener is down the cache is not used at all.
/// </summary>
public sealed class SessionCacheTests(CachingReplicasFixture replicas) : IClassFixture<CachingReplicasFixture>
{
    /// <summary>The contract's bound for a change made elsewhere (polling with a deadline: a correctness bound, not a benchmark).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);

    private AuthClient OnA => new(replicas.A);
    private AuthClient OnB => new(replicas.B);
    private static SessionCache CacheOf(AuthServiceFactory factory) => factory.Services.GetRequiredService<SessionCache>();

    private static async Task ListeningAsync(AuthServiceFactory factory) =>
        await Wait.UntilAsync(() => Task.FromResult(CacheOf(factory).IsListening), "the change listener to connect");

    /// <summary>Calls /auth/me on B twice; the session must then be held by B's cache (so what follows tests the cache).</summary>
    private async Task<JsonElement> WarmOnBAsync(SignedIn session)
    {
        await ListeningAsync(replicas.B);
        var first = await OnB.GetWithBearerAsync("/auth/me", session.AccessToken);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var second = await OnB.GetWithBearerAsync("/auth/me", session.AccessToken);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True(CacheOf(replicas.B).Holds(Jwt.SessionId(session.AccessToken)), "replica B did not cache the session");
        return await second.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task ShowsOnBAsync(SignedIn session, Func<HttpResponseMessage, Task<bool>> shows, string what) =>
        await Wait.UntilAsync(async () => await shows(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)), $"replica B to show {what}", Bound,
            TimeSpan.FromMilliseconds(10));

    private Task RefusedOnBAsync(SignedIn session, string what) =>
        ShowsOnBAsync(session, r => Task.FromResult(r.StatusCode == HttpStatusCode.Unauthorized), what);

    private static async Task<JsonElement?> MeAsync(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;

    private static Guid UserId(SignedIn s) => Guid.Parse(s.Body.GetProperty("user").GetProperty("id").GetString()!);

    private async Task ExecuteAsync(string sql, object args)
    {
        await using var db = new NpgsqlConnection(replicas.ConnectionString);
        await db.ExecuteAsync(sql, args);
    }

    [Fact]
    public async Task SessionDeletedOnA_IsRefusedOnB()
    {
        var email = await OnA.CreateVerifiedUserAsync();
        var caller = await OnA.SigninAsync(email);
        var lost = await OnA.SigninAsync(email);
        await WarmOnBAsync(lost);

        Assert.Equal(HttpStatusCode.NoContent,
            (await OnA.SendWithBearerAsync(HttpMethod.Delete, $"/auth/sessions/{Jwt.SessionId(lost.AccessToken)}", caller.AccessToken)).StatusCode);

        await RefusedOnBAsync(lost, "the deleted session refused");
    }

    [Fact]
    public async Task LogoutOnA_IsRefusedOnB()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);

        Assert.Equal(HttpStatusCode.NoContent, (await OnA.LogoutAsync(session.RefreshToken)).StatusCode);

        await RefusedOnBAsync(session, "the logged-out session refused");
    }

    [Fact]
    public async Task LogoutAllOnA_IsRefusedOnB_ForEverySession()
    {
        var email = await OnA.CreateVerifiedUserAsync();
        var one = await OnA.SigninAsync(email);
        var two = await OnA.SigninAsync(email);
        await WarmOnBAsync(one);
        await WarmOnBAsync(two);

        Assert.Equal(HttpStatusCode.NoContent, (await OnA.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", one.AccessToken)).StatusCode);

        await RefusedOnBAsync(one, "the first session refused");
        await RefusedOnBAsync(two, "the second session refused");
    }

    [Fact]
    public async Task SessionRowDeletedInSql_IsRefusedOnB()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);

        await ExecuteAsync("DELETE FROM sessions WHERE id = @sid", new { sid = Jwt.SessionId(session.AccessToken) });

        await RefusedOnBAsync(session, "the deleted session row refused");
    }

    [Fact]
    public async Task UserDisabledByAdminOnA_IsRefusedOnB()
    {
        var kit = new AdminKit(replicas.A);
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();
        await WarmOnBAsync(user.SignedIn);

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Post, $"/admin/users/{user.Id}/disable")).StatusCode);

        await RefusedOnBAsync(user.SignedIn, "the disabled user refused");
    }

    [Fact]
    public async Task UserDeletedThemselvesOnA_IsRefusedOnB()
    {
        var email = await OnA.CreateVerifiedUserAsync();
        var caller = await OnA.SigninAsync(email);
        var other = await OnA.SigninAsync(email);
        await WarmOnBAsync(other);

        Assert.Equal(HttpStatusCode.NoContent,
            (await OnA.SendWithBearerAsync(HttpMethod.Delete, "/auth/me", caller.AccessToken, new { password = AuthClient.DefaultPassword })).StatusCode);

        await RefusedOnBAsync(other, "the deleted user refused");
    }

    [Fact]
    public async Task UserDeletedByAdminOnA_IsRefusedOnB()
    {
        var kit = new AdminKit(replicas.A);
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();
        await WarmOnBAsync(user.SignedIn);

        Assert.Equal(HttpStatusCode.NoContent, (await kit.SendAsync(admin.SignedIn, HttpMethod.Delete, $"/admin/users/{user.Id}")).StatusCode);

        await RefusedOnBAsync(user.SignedIn, "the deleted user refused");
    }

    [Fact]
    public async Task DisplayNameChangedOnA_ShowsOnB()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);

        Assert.Equal(HttpStatusCode.OK,
            (await OnA.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", session.AccessToken, new { displayName = "Renamed on A" })).StatusCode);

        await ShowsOnBAsync(session, async r => (await MeAsync(r))?.GetProperty("displayName").GetString() == "Renamed on A", "the new display name");
    }

    [Fact]
    public async Task EmailChangedOnA_RevokesTheSessions_OnB()
    {
        var client = OnA;
        var email = await client.CreateVerifiedUserAsync();
        var session = await client.SigninAsync(email);
        var moved = AuthClient.NewEmail("moved");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendWithBearerAsync(HttpMethod.Post, "/auth/email/change", session.AccessToken,
            new { newEmail = moved, password = AuthClient.DefaultPassword })).StatusCode);
        await client.WaitForBackgroundWorkAsync();
        var token = await client.TokenFromEmailAsync(moved, "confirm-email-change");
        await WarmOnBAsync(session);

        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/auth/email/confirm", new { token })).StatusCode);

        await RefusedOnBAsync(session, "the session the email change revoked refused");
    }

    [Fact]
    public async Task EmailAndVerificationChanged_ShowOnB()
    {
        var kit = new AdminKit(replicas.A);
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();
        await WarmOnBAsync(user.SignedIn);

        // An admin marks the address unverified (through A); the address itself changed in SQL (as an operator might).
        Assert.Equal(HttpStatusCode.OK, (await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}", new { emailVerified = false })).StatusCode);
        await ShowsOnBAsync(user.SignedIn, async r => (await MeAsync(r))?.GetProperty("emailVerified").GetBoolean() == false, "the address unverified");
        var renamed = AuthClient.NewEmail("sql");
        await ExecuteAsync("UPDATE users SET email = @renamed WHERE id = @Id", new { renamed, user.Id });
        await ShowsOnBAsync(user.SignedIn, async r => (await MeAsync(r))?.GetProperty("email").GetString() == renamed, "the new address");
    }

    [Fact]
    public async Task RoleChangedByAdminOnA_ShowsOnB()
    {
        var kit = new AdminKit(replicas.A);
        var admin = await kit.AdminAsync();
        var user = await kit.UserAsync();
        await WarmOnBAsync(user.SignedIn);

        Assert.Equal(HttpStatusCode.OK, (await kit.SendAsync(admin.SignedIn, HttpMethod.Patch, $"/admin/users/{user.Id}", new { roles = new[] { "support" } })).StatusCode);

        await ShowsOnBAsync(user.SignedIn, async r => (await MeAsync(r))?.GetProperty("roles").EnumerateArray().Select(e => e.GetString()).SequenceEqual(["support"]) == true,
            "the new role");
    }

    [Fact]
    public async Task ChangeMadeInSql_ReachesAWarmedReplicaThroughNotify()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);

        await ExecuteAsync("UPDATE users SET roles = '{auditor}', display_name = 'Set in SQL' WHERE id = @id", new { id = UserId(session) });

        await ShowsOnBAsync(session, async r => (await MeAsync(r))?.GetProperty("displayName").GetString() == "Set in SQL", "the change made in SQL");
    }

    [Fact]
    public async Task ChangeWithoutNotification_StaysCached_UntilAStateChangingRequestOnThatReplica_NotThroughRefusalsSignupsMailRequestsOrUnknownPaths()
    {
        // With triggers off (replica mode) the change sends no NOTIFY: what B answers shows whether it used its cache.
        var session = await OnA.SignupAndSigninAsync();
        var email = session.Body.GetProperty("user").GetProperty("email").GetString()!;
        var before = await WarmOnBAsync(session);
        await ExecuteUnnotifiedAsync("UPDATE users SET display_name = 'Unnotified' WHERE id = @id", new { id = UserId(session) });

        var cached = await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken));
        Assert.Equal(before.GetProperty("displayName").ToString(), cached!.Value.GetProperty("displayName").ToString());

        // A successful refresh on B changes nothing the cache holds, and keeps it.
        var refreshed = await OnB.RefreshAsync(session.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(before.GetProperty("displayName").ToString(),
            (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").ToString());

        // Refused signins and refreshes, signups and the mail requests anyone may send (for this very account too), and
        // requests that match no endpoint change nothing it holds either, and keep it: a stream of them must not empty
        // every replica's cache.
        await ProblemAssert.IsProblemAsync(await OnB.SigninRawAsync(email, "not the password at all 12"), HttpStatusCode.Unauthorized, "invalid_credentials");
        await ProblemAssert.IsProblemAsync(await OnB.RefreshAsync(SessionTestKit.UnknownToken()), HttpStatusCode.Unauthorized, "refresh_token_invalid");
        Assert.Equal(HttpStatusCode.NotFound, (await OnB.PostJsonAsync("/auth/no-such-endpoint", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await OnB.PostJsonAsync("/auth/signup", new { email, password = "another long passphrase 77" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await OnB.PostJsonAsync("/auth/signup",
            new { email = $"other-{Guid.NewGuid():N}@example.com", password = "another long passphrase 77" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await OnB.PostJsonAsync("/auth/password/forgot", new { email })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await OnB.PostJsonAsync("/auth/resend-verification", new { email })).StatusCode);
        Assert.Equal(before.GetProperty("displayName").ToString(),
            (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").ToString());

        // Any other state-changing request on B (here a logout without a cookie, which changes nothing) empties B's cache as it answers.
        Assert.Equal(HttpStatusCode.NoContent, (await OnB.LogoutAsync(null)).StatusCode);
        Assert.Equal("Unnotified", (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task StateChangingRequestThatFails_StillEmptiesTheCacheOnThatReplica()
    {
        // A request that failed may have committed part of its change before it threw; the replica must not trust its
        // cache after it. The error page clears the request's endpoint, so the decision is made on the endpoint routing
        // matched, before the endpoint runs.
        var session = await OnB.SignupAndSigninAsync();
        var before = await WarmOnBAsync(session);
        await ExecuteUnnotifiedAsync("UPDATE users SET display_name = 'Unnotified' WHERE id = @id", new { id = UserId(session) });
        await ExecuteAsync("""
            CREATE FUNCTION test_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER test_refuse_update BEFORE UPDATE ON users FOR EACH ROW WHEN (NEW.display_name = 'Refused') EXECUTE FUNCTION test_refuse_update();
            """, new { });
        try
        {
            Assert.Equal(before.GetProperty("displayName").ToString(),
                (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").ToString());

            await ProblemAssert.IsProblemAsync(
                await OnB.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", session.AccessToken, new { displayName = "Refused" }),
                HttpStatusCode.InternalServerError, "internal_error");

            Assert.Equal("Unnotified", (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").GetString());
        }
        finally
        {
            await ExecuteAsync("DROP TRIGGER test_refuse_update ON users; DROP FUNCTION test_refuse_update()", new { });
        }
    }

    [Fact]
    public async Task ChangeOnAReplica_ShowsThereAtOnce()
    {
        var session = await OnB.SignupAndSigninAsync();
        await WarmOnBAsync(session);
        var other = await OnB.SigninAsync(session.Body.GetProperty("user").GetProperty("email").GetString()!);
        await WarmOnBAsync(other);

        Assert.Equal(HttpStatusCode.OK,
            (await OnB.SendWithBearerAsync(HttpMethod.Patch, "/auth/me", session.AccessToken, new { displayName = "At once" })).StatusCode);
        Assert.Equal("At once", (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", other.AccessToken)))!.Value.GetProperty("displayName").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await OnB.SendWithBearerAsync(HttpMethod.Post, "/auth/logout-all", session.AccessToken)).StatusCode);
        await ProblemAssert.IsProblemAsync(await OnB.GetWithBearerAsync("/auth/me", other.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task ReuseDetectedOnB_IsRefusedOnBAtOnce()
    {
        var session = await OnA.SignupAndSigninAsync();
        var rotated = await OnA.RefreshAsync(session.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newest = await AuthClient.ReadSignedInAsync(rotated);
        await WarmOnBAsync(newest);
        replicas.A.Clock.Advance(TimeSpan.FromSeconds(11)); // past the 10 s grace window, on both
        replicas.B.Clock.Set(replicas.A.Clock.GetUtcNow());

        await ProblemAssert.IsProblemAsync(await OnB.RefreshAsync(session.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        await ProblemAssert.IsProblemAsync(await OnB.GetWithBearerAsync("/auth/me", newest.AccessToken), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task ListenerDown_CacheIsBypassed_AndResumesAfterReconnect()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);
        var cache = CacheOf(replicas.B);

        await using (var db = new NpgsqlConnection(replicas.ConnectionString))
        {
            // Both replicas' listeners on this database (the other test classes use databases of their own).
            var killed = await db.ExecuteScalarAsync<int>("""
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = @name
                """, new { name = SessionChangeListener.ApplicationName });
            Assert.True(killed >= 2, $"expected both replicas' listeners, terminated {killed}");
        }
        await Wait.UntilAsync(() => Task.FromResult(!cache.IsListening), "replica B to notice its listener is gone");
        Assert.Equal(0, cache.Count);

        // Unnotified changes show at once while nothing listens: every check reads the database.
        await ExecuteUnnotifiedAsync("UPDATE users SET display_name = 'While down' WHERE id = @id", new { id = UserId(session) });
        Assert.Equal("While down", (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").GetString());
        Assert.False(cache.Holds(Jwt.SessionId(session.AccessToken)));

        await ListeningAsync(replicas.B);
        await WarmOnBAsync(session);
        await ExecuteUnnotifiedAsync("UPDATE users SET display_name = 'After reconnect' WHERE id = @id", new { id = UserId(session) });
        Assert.Equal("While down", (await MeAsync(await OnB.GetWithBearerAsync("/auth/me", session.AccessToken)))!.Value.GetProperty("displayName").GetString());

        // And notifications arrive again.
        await ExecuteAsync("UPDATE users SET display_name = 'Notified' WHERE id = @id", new { id = UserId(session) });
        await ShowsOnBAsync(session, async r => (await MeAsync(r))?.GetProperty("displayName").GetString() == "Notified", "the change notified after reconnecting");
    }

    [Fact]
    public async Task BulkDelete_OfManyUsersSessions_ClearsWarmedReplicas()
    {
        var session = await OnA.SignupAndSigninAsync();
        await WarmOnBAsync(session);
        // More users than one notification names (200): the payload is '*'.
        await ExecuteAsync("""
            INSERT INTO users (id, email, password_hash, created_at, updated_at)
            SELECT gen_random_uuid(), 'bulk-' || gen_random_uuid() || '@example.com', 'x', now(), now() FROM generate_series(1, 250);
            INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at)
            SELECT gen_random_uuid(), id, now(), now(), now(), now() FROM users WHERE email LIKE 'bulk-%';
            """, new { });
        await ExecuteUnnotifiedAsync("UPDATE users SET display_name = 'Bulk' WHERE id = @id", new { id = UserId(session) });

        await ExecuteAsync("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE email LIKE 'bulk-%')", new { });

        await ShowsOnBAsync(session, async r => (await MeAsync(r))?.GetProperty("displayName").GetString() == "Bulk", "the cache emptied by '*'");
    }

    private async Task ExecuteUnnotifiedAsync(string sql, object args)
    {
        await using var db = new NpgsqlConnection(replicas.ConnectionString);
        await db.OpenAsync();
        await db.ExecuteAsync("SET session_replication_role = replica");
        await db.ExecuteAsync(sql, args);
        await db.ExecuteAsync("RESET session_replication_role");
    }
}
