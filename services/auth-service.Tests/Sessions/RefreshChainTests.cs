using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Sessions;

/// <summary>
/// Refresh state on one row (migration 0008): the token names its session, the row keeps only the newest and the
/// previous secret's hash, and an older token is proven a genuine ancestor by walking the HMAC chain of successors
/// before it revokes anything. Sessions of the previous release (rows in refresh_tokens) are taken over at their
/// first refresh, also while replicas of that release still rotate them.
/// </summary>
public sealed class RefreshChainTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task ManyRefreshes_WriteNoTokenRows_AndAnAncestorFarBack_IsStillProvenAReuse()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var tokens = new List<string> { signedIn.RefreshToken };
        for (var i = 0; i < 60; i++) tokens.Add(await client.RotateAsync(tokens[^1]));

        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(60, state.Generation);
        Assert.Equal(0, await client.PreviousReleaseTokenRowsAsync(sessionId));
        Assert.All(tokens, t => Assert.Equal(sessionId, SessionTestKit.SessionIdOfRefreshToken(t)));

        var response = await client.RefreshAsync(tokens[3]); // 57 rotations old

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertRevokedForReuseAsync(client, sessionId);
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(tokens[^1]), HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task ForgedSecret_UnderARealSessionId_IsInvalid_AndRevokesNothing()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var newest = await client.RotateAsync(await client.RotateAsync(signedIn.RefreshToken));
        var forged = signedIn.RefreshToken[..22] + SessionTestKit.UnknownToken();

        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(forged), HttpStatusCode.Unauthorized, "refresh_token_invalid");

        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);
        Assert.Equal(0, await ReuseAuditsAsync(client, sessionId));
        await client.RotateAsync(newest);
    }

    [Fact]
    public async Task AncestorOfOneSession_UnderAnotherSessionsId_IsInvalid_AndRevokesNeither()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var first = await client.SigninAsync(email);
        var second = await client.SigninAsync(email);
        var firstNewest = await client.RotateAsync(await client.RotateAsync(first.RefreshToken));
        var spliced = second.RefreshToken[..22] + first.RefreshToken[22..];

        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(spliced), HttpStatusCode.Unauthorized, "refresh_token_invalid");

        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(first.AccessToken))).RevokedAt);
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(second.AccessToken))).RevokedAt);
        await client.RotateAsync(firstNewest);
        await client.RotateAsync(second.RefreshToken);
    }

    [Fact]
    public async Task Rotation_IsOneHotUpdate_AndWritesNothingElse()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);

        // The function as the service calls it, in a transaction of the test's, counted by the backend's own statistics.
        // They also hold earlier, unflushed transactions of this pooled connection: what counts is the difference.
        await using var conn = client.OpenDatabase();
        await using var tx = await conn.BeginTransactionAsync();
        var before = await WritesAsync();
        Assert.Equal("rotated", await conn.ExecuteScalarAsync<string>("""
            SELECT outcome FROM rotate_refresh_token_v3(@sessionId, @hash, @successor, interval '0', interval '14 days', interval '10 seconds', '3000ms', NULL, NULL)
            """, new { sessionId, hash = SessionTestKit.SecretHash(signedIn.RefreshToken), successor = new byte[32] }, tx));
        var after = await WritesAsync();
        await tx.RollbackAsync();
        var writes = after
            .Select(a => (a, b: before.FirstOrDefault(b => b.Table == a.Table))) // a table absent before counts from zero
            .Select(p => (p.a.Table, p.a.Inserted - p.b.Inserted, p.a.Updated - p.b.Updated, p.a.HotUpdated - p.b.HotUpdated, p.a.Deleted - p.b.Deleted))
            .Where(w => w.Item2 + w.Item3 + w.Item5 > 0)
            .ToList();

        async Task<List<(string Table, long Inserted, long Updated, long HotUpdated, long Deleted)>> WritesAsync() =>
            (await conn.QueryAsync<(string, long, long, long, long)>(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_xact_user_tables", transaction: tx)).ToList();

        Assert.Equal([("sessions", 0L, 1L, 1L, 0L)], writes);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")] // a session id that does not exist
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!")] // not base64url
    [InlineData("AAAAAAAAAAAAAAAAAAAAA")]  // one short: 64 characters in all
    public async Task MalformedOrUnknownSessionId_IsInvalid(string prefix)
    {
        var client = fixture.NewClient();

        var response = await client.RefreshAsync(prefix + SessionTestKit.UnknownToken());

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "refresh_token_invalid");
    }

    [Fact]
    public async Task SessionOfThePreviousRelease_IsTakenOverAtItsFirstRefresh_AndItsOldTokenIsThenAReuse()
    {
        var client = fixture.NewClient();
        var (sessionId, legacy) = await SessionAsThePreviousReleaseLeftItAsync(client);

        var refreshed = await client.RefreshAsync(legacy);

        var next = await SessionTestKit.NewCookieAsync(refreshed);
        Assert.Equal(sessionId, SessionTestKit.SessionIdOfRefreshToken(next));
        Assert.Equal(OpaqueToken.Successor(legacy, SuccessorKey), next[22..]);
        var state = await client.RefreshStateAsync(sessionId);
        Assert.Equal(SessionTestKit.SecretHash(next), state.CurrentHash);
        Assert.Equal(SessionTestKit.Sha256(legacy), state.PreviousHash);
        await using (var conn = client.OpenDatabase())
            Assert.NotNull(await conn.ExecuteScalarAsync<DateTime?>("SELECT retired_at FROM refresh_tokens WHERE session_id = @sessionId", new { sessionId }));

        // Inside the grace window the old token gets the same successor; after it, it is a reuse.
        Assert.Equal(next, await client.RotateAsync(legacy));
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(11));
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(legacy), HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertRevokedForReuseAsync(client, sessionId);
    }

    [Fact]
    public async Task SessionOfThePreviousRelease_RotatedByAPreviousReleaseReplica_DuringTheRollingUpdate_KeepsRefreshingHere()
    {
        var client = fixture.NewClient();
        var (sessionId, legacy) = await SessionAsThePreviousReleaseLeftItAsync(client);
        var byOldReplica = OpaqueToken.Successor(legacy, SuccessorKey);
        await using (var conn = client.OpenDatabase())
            Assert.Equal("rotated", await conn.QuerySingleAsync<string>("""
                SELECT outcome FROM rotate_refresh_token_v2(@tokenHash, @successorHash, @clockOffset, interval '14 days', interval '10 seconds', '3000ms', NULL, 'previous release')
                """, new
            {
                tokenHash = SessionTestKit.Sha256(legacy), successorHash = SessionTestKit.Sha256(byOldReplica),
                clockOffset = fixture.Factory.Clock.GetUtcNow() - DateTimeOffset.UtcNow,
            }));

        // A second tab retries the token the old replica just retired: the old replica's successor, in this release's form.
        Assert.Equal(byOldReplica, (await client.RotateAsync(legacy))[22..]);
        // The old replica's successor itself is taken over here and rotates on.
        var next = await client.RotateAsync(byOldReplica);
        Assert.Equal(sessionId, SessionTestKit.SessionIdOfRefreshToken(next));
        await client.RotateAsync(next);

        // An older token of the previous release's table, outside the grace window, is a reuse.
        fixture.Factory.Clock.Advance(TimeSpan.FromSeconds(11));
        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(legacy), HttpStatusCode.Unauthorized, "refresh_token_reused");
        await AssertRevokedForReuseAsync(client, sessionId);
    }

    [Fact]
    public async Task Logout_WithTheNewestOrThePreviousToken_RevokesTheSession_AForgedOneDoesNot()
    {
        var client = fixture.NewClient();
        var email = await client.CreateVerifiedUserAsync();
        var viaPrevious = await client.SigninAsync(email);
        var forgedTarget = await client.SigninAsync(email);
        await client.RotateAsync(viaPrevious.RefreshToken);

        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(viaPrevious.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(forgedTarget.RefreshToken[..22] + SessionTestKit.UnknownToken())).StatusCode);

        Assert.Equal("logout", (await client.SessionAsync(SessionTestKit.SessionIdOf(viaPrevious.AccessToken))).RevokedReason);
        Assert.Null((await client.SessionAsync(SessionTestKit.SessionIdOf(forgedTarget.AccessToken))).RevokedAt);
    }

    [Fact]
    public async Task Logout_WithATokenOfThePreviousRelease_RevokesItsSession()
    {
        var client = fixture.NewClient();
        var (sessionId, legacy) = await SessionAsThePreviousReleaseLeftItAsync(client);

        Assert.Equal(HttpStatusCode.NoContent, (await client.LogoutAsync(legacy)).StatusCode);

        Assert.Equal("logout", (await client.SessionAsync(sessionId)).RevokedReason);
    }

    private byte[] SuccessorKey => fixture.Factory.Services.GetRequiredService<RefreshSuccessorKey>().Key;

    /// <summary>A verified user's session as the previous release's signin left it: no refresh state on the row, its token in refresh_tokens.</summary>
    private async Task<(Guid SessionId, string Token)> SessionAsThePreviousReleaseLeftItAsync(AuthClient client)
    {
        var email = await client.CreateVerifiedUserAsync();
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var sessionId = Guid.NewGuid();
        var now = fixture.Factory.Clock.GetUtcNow();
        await using var conn = client.OpenDatabase();
        await conn.ExecuteAsync("""
            INSERT INTO sessions (id, user_id, created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip)
            SELECT @sessionId, id, @now, @now, @idleExpires, @expires, 'previous release', '203.0.113.7' FROM users WHERE email = @email;
            INSERT INTO refresh_tokens (session_id, token_hash, created_at) VALUES (@sessionId, @hash, @now);
            """, new { sessionId, email, now, idleExpires = now.AddDays(14), expires = now.AddDays(30), hash = SessionTestKit.Sha256(token) });
        return (sessionId, token);
    }

    private static async Task AssertRevokedForReuseAsync(AuthClient client, Guid sessionId)
    {
        var session = await client.SessionAsync(sessionId);
        Assert.Equal("refresh_token_reused", session.RevokedReason);
        Assert.Equal(1, await ReuseAuditsAsync(client, sessionId));
    }

    private static async Task<long> ReuseAuditsAsync(AuthClient client, Guid sessionId)
    {
        await using var conn = client.OpenDatabase();
        return await conn.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_events WHERE kind = 'refresh_reused' AND details->>'sessionId' = @id", new { id = sessionId.ToString() });
    }
}
