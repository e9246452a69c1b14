using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Sessions;

/// <summary>
/// A reuse revokes the session, writes its audit row and queues the owner's notice in one
/// transaction: the three rows carry the one instant the rotation function read, and a reuse
/// inside a transaction that rolls back leaves none of them.
/// </summary>
public sealed class RefreshReuseAtomicityTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public async Task Reuse_RevocationAuditAndNotice_AreWrittenTogether()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        await client.RotateAsync(await client.RotateAsync(signedIn.RefreshToken));

        await ProblemAssert.IsProblemAsync(await client.RefreshAsync(signedIn.RefreshToken), HttpStatusCode.Unauthorized, "refresh_token_reused");

        await using var conn = client.OpenDatabase();
        var revokedAt = (await client.SessionAsync(sessionId)).RevokedAt!.Value;
        var audit = await conn.QuerySingleAsync<DateTime>(
            "SELECT created_at FROM audit_events WHERE kind = 'refresh_reused' AND details->>'sessionId' = @id", new { id = sessionId.ToString() });
        var notice = await conn.QuerySingleAsync<(DateTime CreatedAt, bool ToOwner)>("""
            SELECT o.created_at, o."to" = u.email FROM outbox_emails o JOIN sessions s ON s.user_id = o.user_id JOIN users u ON u.id = s.user_id
            WHERE s.id = @sessionId AND o.kind = 'refresh_reuse_notice'
            """, new { sessionId });
        Assert.Equal(revokedAt, audit);
        Assert.Equal(revokedAt, notice.CreatedAt);
        Assert.True(notice.ToOwner, "The notice must go to the session's owner.");
    }

    [Fact]
    public async Task Reuse_InARolledBackTransaction_LeavesNoRevocationAuditOrNotice()
    {
        var client = fixture.NewClient();
        var signedIn = await client.SignupAndSigninAsync();
        var sessionId = SessionTestKit.SessionIdOf(signedIn.AccessToken);
        var previous = await client.RotateAsync(signedIn.RefreshToken);
        await client.RotateAsync(previous);

        await using var conn = client.OpenDatabase();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            // The previous token outside a grace window of zero: the function itself revokes.
            var outcome = await conn.ExecuteScalarAsync<string>("""
                SELECT outcome FROM rotate_refresh_token_v3(@sessionId, @hash, @hash, interval '0', interval '1 day', interval '0', '1s', NULL, NULL)
                """, new { sessionId, hash = SessionTestKit.SecretHash(previous) }, tx);
            Assert.Equal("reused", outcome);
            Assert.Equal(1, await CountAsync(conn, sessionId, tx));
            await tx.RollbackAsync();
        }

        Assert.Null((await client.SessionAsync(sessionId)).RevokedAt);
        Assert.Equal(0, await CountAsync(conn, sessionId, null));
    }

    /// <summary>Audit rows and notices of a reuse of <paramref name="sessionId"/>; they come in pairs or not at all.</summary>
    private static async Task<long> CountAsync(Npgsql.NpgsqlConnection conn, Guid sessionId, Npgsql.NpgsqlTransaction? tx)
    {
        var audits = await conn.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_events WHERE kind = 'refresh_reused' AND details->>'sessionId' = @id", new { id = sessionId.ToString() }, tx);
        var notices = await conn.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM outbox_emails o JOIN sessions s ON s.user_id = o.user_id WHERE s.id = @sessionId AND o.kind = 'refresh_reuse_notice'",
            new { sessionId }, tx);
        Assert.Equal(audits, notices);
        return audits;
    }
}
