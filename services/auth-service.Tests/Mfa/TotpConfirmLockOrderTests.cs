using System.Net;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Mfa;

/// <summary>
/// Turning TOTP on takes the user row before the secret, as the admin reset does (user row, then the factor tables): the
/// other order deadlocked when an admin reset the factors while the owner confirmed, and one of the two failed with a 500.
/// </summary>
public sealed class TotpConfirmLockOrderTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private readonly AuthClient client = fixture.NewClient();

    [Fact]
    public async Task AConfirm_RacingAnAdminReset_WaitsForIt_AndFindsNothingPending()
    {
        var session = await client.SignupAndSigninAsync();
        var userId = Guid.Parse(session.Body.GetProperty("user").GetProperty("id").GetString()!);
        var setup = await MfaKit.SetupAsync(client, session);
        var secret = Rfc6238.Base32Decode((await MfaKit.JsonAsync(setup)).GetProperty("secret").GetString()!);

        // The reset's first step: the user row, held while the confirm arrives.
        await using var reset = client.OpenDatabase();
        await using var tx = await reset.BeginTransactionAsync();
        await reset.ExecuteAsync("SELECT 1 FROM users WHERE id = @userId FOR NO KEY UPDATE", new { userId }, tx);

        var confirm = MfaKit.ConfirmAsync(client, session, Rfc6238.Code(secret, client.Factory.Clock.GetUtcNow()));
        await using (var watcher = client.OpenDatabase())
        {
            // Until the confirm's transaction waits for a lock (at most about 30 s here; it does not depend on timing to pass).
            for (var i = 0; i < 300 && await watcher.ExecuteScalarAsync<long>("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> @pid
                """, new { pid = reset.ProcessID }) == 0; i++)
                await Task.Delay(100);
        }

        // The reset's second step: with the confirm holding the secret and waiting for the user row, this would deadlock.
        await reset.ExecuteAsync("DELETE FROM totp_secrets WHERE user_id = @userId", new { userId }, tx);
        await tx.CommitAsync();

        await ProblemAssert.IsProblemAsync(await confirm, HttpStatusCode.Conflict, "totp_not_enabled");
    }
}
