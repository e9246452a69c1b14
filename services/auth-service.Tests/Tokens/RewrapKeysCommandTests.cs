using System.Net;
using AuthService.Shared;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Dapper;
using Npgsql;

namespace AuthService.Tests.Tokens;

/// <summary>
/// `./AuthService rewrap-keys`: every sealed secret (signing keys, the refresh successor key) moves to
/// the first key of Auth:KeyEncryptionKeys, the secrets themselves unchanged; a second run finds nothing to do;
/// a row no configured key opens is named and the command exits 1.
/// </summary>
public sealed class RewrapKeysCommandTests
{
    private static readonly string OldKek = TestKeys.NewKek();
    private static readonly string NewKek = TestKeys.NewKek();

    private static Dictionary<string, string?> Rotated => TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek), ("legacy", OldKek));

    [Fact]
    public async Task RewrapKeys_SealsEverySecretUnderTheNewestKey_ThenFindsNothingToDo_AndTheOldKeyCanGo()
    {
        var (database, signedIn) = await DatabaseUnderTheOldKeyAsync();
        var oldOnly = TestKeys.Secrets(TestKeys.Options(kek: OldKek));
        var newOnly = TestKeys.Secrets(TestKeys.Options(("2025-07", NewKek)));
        var before = await SealedRowsAsync(database);
        Assert.Equal(3, before.Count); // two signing keys and the successor key
        Assert.All(before, r => Assert.Equal("legacy", r.KekId));
        var secretsBefore = before.Select(r => r.OpenWith(oldOnly)).ToList();

        await using var replica = new AuthServiceFactory(database, Rotated);
        var first = await RewrapAsync(replica);

        Assert.Equal((0, ""), (first.ExitCode, first.Error));
        Assert.Equal("rewrap-keys: 3 sealed secrets are under key-encryption key '2025-07' (3 rewrapped, 0 already were); " +
            "keys after it in Auth:KeyEncryptionKeys can be removed.", first.Output.TrimEnd());
        var after = await SealedRowsAsync(database);
        Assert.All(after, r => Assert.Equal("2025-07", r.KekId));
        Assert.Equal(secretsBefore, after.Select(r => r.OpenWith(newOnly))); // the same secrets, sealed anew
        Assert.All(after, r => Assert.False(oldOnly.TryOpen(r.Box, r.KekId, r.AssociatedData, out _, out _)));

        // Idempotent: the second run rewraps nothing and writes nothing.
        var second = await RewrapAsync(replica);
        Assert.Equal((0, ""), (second.ExitCode, second.Error));
        Assert.Contains("3 sealed secrets are under key-encryption key '2025-07' (0 rewrapped, 3 already were)", second.Output);
        Assert.Equal(after.Select(r => r.Box), (await SealedRowsAsync(database)).Select(r => r.Box));

        // The old key removed: a replica with the new one alone starts, and the session signed in under the
        // old key still validates and refreshes, with the very successor the old successor key derives.
        await using var newKeyOnly = await new AuthServiceFactory(database, TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek))).StartAsync();
        var client = new AuthClient(newKeyOnly);
        Assert.Equal(HttpStatusCode.OK, (await client.GetWithBearerAsync("/auth/me", signedIn.AccessToken)).StatusCode);
        var refreshed = await client.RefreshAsync(signedIn.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var successorKey = secretsBefore[before.FindIndex(r => r.Id == RefreshSuccessorKey.SecretName)];
        Assert.Equal(signedIn.RefreshToken[..22] + OpaqueToken.Successor(signedIn.RefreshToken[22..], successorKey), AuthClient.RefreshCookieValue(refreshed));
    }

    [Fact]
    public async Task RewrapKeys_RowThatNoConfiguredKeyOpens_Exits1NamingIt_AndLeavesItAsItWas()
    {
        var (database, _) = await DatabaseUnderTheOldKeyAsync();
        // A retired signing key, still published until its tokens expire, sealed under a key-encryption key this
        // deployment no longer lists (replicas never open a retired key's private half, so they do not notice).
        var lostKek = TestKeys.NewKek();
        var now = DateTimeOffset.UtcNow;
        var lost = TestKeys.Store(TestKeys.Secrets(TestKeys.Options(("2023-01", lostKek)))).Generate(now.AddDays(-30), now.AddDays(-30));
        await using (var conn = new NpgsqlConnection(database))
        {
            await conn.ExecuteAsync("""
                INSERT INTO signing_keys (kid, alg, public_jwk, private_key, kek_id, created_at, not_before, retire_at, expires_at)
                VALUES (@Kid, 'ES256', @PublicJwk::jsonb, @PrivateKey, @KekId, @CreatedAt, @NotBefore, @retired, @expires)
                """, new { lost.Kid, lost.PublicJwk, lost.PrivateKey, lost.KekId, lost.CreatedAt, lost.NotBefore, retired = now.AddMinutes(-1), expires = now.AddHours(1) });
        }

        await using var replica = new AuthServiceFactory(database, Rotated);
        var result = await RewrapAsync(replica);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal($"rewrap-keys failed: none of the configured key-encryption keys (2025-07, legacy) opens signing key '{lost.Kid}'; " +
            "configure the key that sealed it and run rewrap-keys again (3 of 4 sealed secrets are under '2025-07').", result.Error.TrimEnd());
        Assert.DoesNotContain(lostKek, result.Error);
        var rows = await SealedRowsAsync(database);
        var untouched = Assert.Single(rows, r => r.Id == lost.Kid);
        Assert.Equal(lost.PrivateKey, untouched.Box);
        Assert.Equal("2023-01", untouched.KekId);
        Assert.All(rows.Where(r => r.Id != lost.Kid), r => Assert.Equal("2025-07", r.KekId)); // the others moved all the same

        // Listing the key that sealed it is the way out.
        await using var withLostKey = new AuthServiceFactory(database,
            TestKeys.KeyEncryptionKeySettings(("2025-07", NewKek), ("legacy", OldKek), ("2023-01", lostKek)));
        var again = await RewrapAsync(withLostKey);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("4 sealed secrets are under key-encryption key '2025-07' (1 rewrapped, 3 already were)", again.Output);
    }

    [Fact]
    public async Task RewrapKeys_TwoRunsAtOnce_RewrapEveryRowExactlyOnce()
    {
        var (database, _) = await DatabaseUnderTheOldKeyAsync();
        // Many rows (expired keys), so that the two runs meet on the same rows.
        var old = TestKeys.Secrets(TestKeys.Options(kek: OldKek));
        var now = DateTimeOffset.UtcNow;
        var keys = Enumerable.Range(0, 150).Select(i => TestKeys.Store(old).Generate(now.AddDays(-90), now.AddDays(-90))).ToList();
        await using (var conn = new NpgsqlConnection(database))
        {
            await conn.ExecuteAsync("""
                INSERT INTO signing_keys (kid, alg, public_jwk, private_key, kek_id, created_at, not_before, retire_at, expires_at)
                VALUES (@Kid, 'ES256', @PublicJwk::jsonb, @PrivateKey, @KekId, @CreatedAt, @NotBefore, @NotBefore, @NotBefore)
                """, keys);
        }
        var total = (await SealedRowsAsync(database)).Count;

        var rotated = TestKeys.Secrets(TestKeys.Options(("2025-07", NewKek), ("legacy", OldKek)));
        await using var sourceA = NpgsqlDataSource.Create(database);
        await using var sourceB = NpgsqlDataSource.Create(database);
        var results = await Task.WhenAll(
            Task.Run(() => new KeyRewrap(sourceA, rotated).RunAsync(CancellationToken.None)),
            Task.Run(() => new KeyRewrap(sourceB, rotated).RunAsync(CancellationToken.None)));

        Assert.Equal(total, results.Sum(r => r.Rewrapped));
        Assert.All(results, r => Assert.Equal((total, 0), (r.Rewrapped + r.AlreadySealed, r.Unopenable.Count)));
        Assert.All(await SealedRowsAsync(database), r => Assert.Equal("2025-07", r.KekId));
    }

    [Fact]
    [Trait("Category", PublishedService.Category)]
    public async Task PublishedBuild_RewrapKeys_Exits0WithOneLine_ThenExits1WhenNoKeyOpens()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using (await PublishedService.StartAsync(database, new Dictionary<string, string> { ["Auth__KeyEncryptionKey"] = OldKek })) { }

        var rotated = Environment(database, ("2025-07", NewKek), ("legacy", OldKek));
        var (exitCode, output) = await PublishedService.RunUntilExitAsync(rotated, TimeSpan.FromSeconds(60), "rewrap-keys");

        Assert.True(exitCode == 0, output);
        Assert.Equal("rewrap-keys: 2 sealed secrets are under key-encryption key '2025-07' (2 rewrapped, 0 already were); " +
            "keys after it in Auth:KeyEncryptionKeys can be removed.", output.Trim());

        var strangerKek = TestKeys.NewKek();
        (exitCode, output) = await PublishedService.RunUntilExitAsync(Environment(database, ("2026-01", strangerKek)), TimeSpan.FromSeconds(60), "rewrap-keys");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("rewrap-keys failed: none of the configured key-encryption keys (2026-01) opens signing key '", output.Trim());
        Assert.Contains($"server secret '{RefreshSuccessorKey.SecretName}'", output);
        Assert.DoesNotContain(strangerKek, output);
        Assert.DoesNotContain(NewKek, output);
    }

    private static Dictionary<string, string> Environment(string database, params (string Id, string Key)[] keys)
    {
        var environment = PublishedService.ProductionEnvironment(database, FreePort.Next());
        environment.Remove("Auth__KeyEncryptionKey");
        for (var i = 0; i < keys.Length; i++)
        {
            environment[$"Auth__KeyEncryptionKeys__{i}__Id"] = keys[i].Id;
            environment[$"Auth__KeyEncryptionKeys__{i}__Key"] = keys[i].Key;
        }
        return environment;
    }

    /// <summary>A database a replica under the single old key has served: a session, two signing keys, the successor key.</summary>
    private static async Task<(string Database, SignedIn SignedIn)> DatabaseUnderTheOldKeyAsync()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var replica = await new AuthServiceFactory(database, new Dictionary<string, string?> { ["Auth:KeyEncryptionKey"] = OldKek }).StartAsync();
        var signedIn = await new AuthClient(replica).SignupAndSigninAsync();
        await SigningKeyCommands.RotateAsync(replica.Services, revokeCurrent: false);
        return (database, signedIn);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RewrapAsync(AuthServiceFactory replica)
    {
        using StringWriter output = new(), error = new();
        var exitCode = await KeyEncryptionCommands.RewrapAsync(replica.Services, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static async Task<List<SealedRow>> SealedRowsAsync(string database)
    {
        await using var conn = new NpgsqlConnection(database);
        return (await conn.QueryAsync<SealedRow>("""
            SELECT kid AS Id, private_key AS Box, kek_id AS KekId, false AS IsServerSecret FROM signing_keys
            UNION ALL
            SELECT name, sealed_value, kek_id, true FROM server_secrets
            ORDER BY 1
            """)).ToList();
    }

    private sealed record SealedRow(string Id, byte[] Box, string KekId, bool IsServerSecret)
    {
        public string AssociatedData => IsServerSecret ? ServerSecretStore.AssociatedData(Id) : Id;

        public byte[] OpenWith(ServerSecrets secrets) => secrets.Open(Box, KekId, AssociatedData);
    }
}
