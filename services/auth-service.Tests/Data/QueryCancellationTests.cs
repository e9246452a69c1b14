using AuthService.Admin;
using AuthService.Audit;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Data;

/// <summary>
/// The stores' statements carry the caller's cancellation token (in their parameter objects, where the generated
/// Dapper code reads it): a cancelled request stops its statement, also one already waiting on a row lock.
/// </summary>
public sealed class QueryCancellationTests : IAsyncLifetime
{
    private AuthServiceFactory factory = null!;
    private AuthClient client = null!;

    public async Task InitializeAsync()
    {
        factory = await AuthServiceFactory.CreateAsync();
        client = new AuthClient(factory);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private static readonly RequestOrigin Origin = new(null, "tests");

    [Fact]
    public async Task Statement_WithCancelledToken_ThrowsAndWritesNothing()
    {
        await using var db = client.OpenDatabase();
        var kind = "test_cancelled_" + Guid.NewGuid().ToString("N");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            AuditLog.WriteAsync(db, null, kind, null, Origin, factory.Clock.GetUtcNow(), null, new CancellationToken(true)));

        Assert.Equal(0, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_events WHERE kind = @kind", new { kind }));
    }

    [Fact]
    public async Task Statement_WaitingOnRowLock_StopsWhenCancelled()
    {
        var email = await client.CreateVerifiedUserAsync();
        await using var holder = client.OpenDatabase();
        var userId = await holder.ExecuteScalarAsync<Guid>("SELECT id FROM users WHERE email = @email", new { email });
        await using var tx = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("SELECT 1 FROM users WHERE id = @userId FOR UPDATE", new { userId }, tx);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var update = factory.Services.GetRequiredService<AdminUserStore>()
            .UpdateAsync(userId, "renamed", null, null, Guid.NewGuid(), Origin, cts.Token);
        // Without the token the update waits for the lock until the holder lets go, which it does only after this.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => update.WaitAsync(TimeSpan.FromSeconds(15)));
        await tx.RollbackAsync();

        await using var db = client.OpenDatabase();
        Assert.Null(await db.ExecuteScalarAsync<string?>("SELECT display_name FROM users WHERE id = @userId", new { userId }));
    }
}
