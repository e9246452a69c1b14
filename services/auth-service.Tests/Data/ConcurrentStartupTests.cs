using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Data;
using AuthService.Tests.Infrastructure;
using AuthService.Tokens;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AuthService.Tests.Data;

/// <summary>Two replicas started at the same moment on one fresh, empty database.</summary>
public sealed class TwoReplicasFixture : IAsyncLifetime
{
    public AuthServiceFactory A { get; private set; } = null!;
    public AuthServiceFactory B { get; private set; } = null!;
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync(empty: true);
        A = new AuthServiceFactory(ConnectionString);
        B = new AuthServiceFactory(ConnectionString);
        // Replicas with synchronized clocks (the test clocks would otherwise differ by construction time).
        var now = DateTimeOffset.UtcNow;
        A.Clock.Set(now);
        B.Clock.Set(now);
        await Task.WhenAll(Task.Run(A.StartAsync), Task.Run(B.StartAsync));
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public sealed class ConcurrentStartupTests(TwoReplicasFixture replicas) : IClassFixture<TwoReplicasFixture>
{
    private async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection(replicas.ConnectionString);
        await conn.OpenAsync();
        return conn;
    }

    [Fact]
    public async Task ConcurrentStart_BothReplicasBecomeReady()
    {
        Assert.Equal(HttpStatusCode.OK, (await replicas.A.CreateClient().GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await replicas.B.CreateClient().GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task ConcurrentStart_AppliesEachEmbeddedMigrationExactlyOnce()
    {
        await using var conn = await OpenAsync();
        var recorded = (await conn.QueryAsync<string>("SELECT version FROM schema_migrations ORDER BY version")).ToList();

        var embedded = MigrationRunner.Embedded.Select(m => m.Version).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(embedded);
        Assert.Equal(embedded, recorded);

        // schema_migrations has a primary key, so also count who actually ran each script.
        var applied = replicas.A.Logs.Lines.Concat(replicas.B.Logs.Lines)
            .Where(l => l.Contains("Applied migration ", StringComparison.Ordinal)).ToList();
        foreach (var version in embedded)
            Assert.Single(applied, l => l.Contains($"Applied migration {version} ", StringComparison.Ordinal));
        Assert.Equal(embedded.Count, applied.Count);
    }

    [Fact]
    public async Task ConcurrentStart_CreatesExactlyOneSigningKey()
    {
        await using var conn = await OpenAsync();

        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM signing_keys"));
    }

    [Fact]
    public async Task ConcurrentStart_BothPublishIdenticalJwks()
    {
        var a = await replicas.A.CreateClient().GetAsync("/.well-known/jwks.json");
        var b = await replicas.B.CreateClient().GetAsync("/.well-known/jwks.json");

        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(await a.Content.ReadAsStringAsync(), await b.Content.ReadAsStringAsync());
        Assert.Equal(a.Headers.ETag, b.Headers.ETag);
        Assert.NotEmpty((await a.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task ConcurrentStart_CreatesOneRefreshSuccessorKey_ThatBothReplicasUse()
    {
        await using var conn = await OpenAsync();

        Assert.Equal(1, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM server_secrets WHERE sealed_value IS NOT NULL"));
        Assert.Equal(replicas.A.Services.GetRequiredService<RefreshSuccessorKey>().Key, replicas.B.Services.GetRequiredService<RefreshSuccessorKey>().Key);
    }

    [Fact]
    public async Task TokenFromOneReplica_IsAcceptedByTheOther()
    {
        var fromA = await new AuthClient(replicas.A).SignupAndSigninAsync();
        var fromB = await new AuthClient(replicas.B).SignupAndSigninAsync();

        var meOnB = await new AuthClient(replicas.B).GetWithBearerAsync("/auth/me", fromA.AccessToken);
        var meOnA = await new AuthClient(replicas.A).GetWithBearerAsync("/auth/me", fromB.AccessToken);

        Assert.Equal(HttpStatusCode.OK, meOnB.StatusCode);
        Assert.Equal(fromA.Body.GetProperty("user").GetProperty("id").GetString(),
            (await meOnB.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, meOnA.StatusCode);
        Assert.Equal(fromB.Body.GetProperty("user").GetProperty("id").GetString(),
            (await meOnA.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task RefreshTokenFromOneReplica_RotatesOnTheOther()
    {
        var fromA = await new AuthClient(replicas.A).SignupAndSigninAsync();

        var refreshed = await new AuthClient(replicas.B).RefreshAsync(fromA.RefreshToken);

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var next = AuthClient.RefreshCookieValue(refreshed);
        Assert.NotNull(next);
        Assert.Equal(HttpStatusCode.OK, (await new AuthClient(replicas.A).RefreshAsync(next)).StatusCode);
    }
}
