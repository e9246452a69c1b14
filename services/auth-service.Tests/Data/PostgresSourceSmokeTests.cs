using AuthService.Tests.Infrastructure;
using Dapper;
using Npgsql;
using Xunit.Abstractions;

namespace AuthService.Tests.Data;

/// <summary>
/// A run uses one PostgreSQL source for the whole suite (AUTH_TEST_POSTGRES); these keep the other one
/// working too: each starts a server of its own from one source, checks it runs with the suite's settings,
/// and runs the service on a migrated database there from signup through verification to signin.
/// </summary>
public sealed class PostgresSourceSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public Task LocalCluster_RunsTheServiceWithTheSuiteSettings() =>
        RunServiceAsync(PostgresSource.Local, dataDirectory => dataDirectory.StartsWith(Path.Combine(Path.GetTempPath(), "auth-tests-pg-"), StringComparison.Ordinal));

    [ContainerFact]
    [Trait("Category", DockerEngine.Category)]
    public Task Container_RunsTheServiceWithTheSuiteSettings() =>
        RunServiceAsync(PostgresSource.Container, dataDirectory => dataDirectory == "/var/lib/postgresql/data");

    /// <param name="isItsDataDirectory">Whether the server's data directory is where that source keeps it: the server is really the one started.</param>
    private async Task RunServiceAsync(PostgresSource source, Func<string, bool> isItsDataDirectory)
    {
        var server = await PostgresServer.StartAsync(source);
        try
        {
            output.WriteLine(server.ToString());
            Assert.Equal(source, server.Source);
            await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
            {
                var dataDirectory = await admin.ExecuteScalarAsync<string>("SELECT current_setting('data_directory')");
                Assert.True(isItsDataDirectory(dataDirectory!), $"{source} server has its data in {dataDirectory}");
                foreach (var setting in PostgresServer.DurabilitySettings.Concat(PostgresServer.CapacitySettings))
                {
                    var name = setting.Split('=')[0];
                    Assert.Equal(setting, $"{name}={await admin.ExecuteScalarAsync<string>("SELECT current_setting(@name)", new { name })}");
                }
            }

            var connectionString = await server.CreateDatabaseAsync();
            await using (var db = new NpgsqlConnection(connectionString))
                Assert.True(await db.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations") > 0, "the new database is not migrated");

            await using (var factory = await new AuthServiceFactory(connectionString).StartAsync())
            {
                var client = new AuthClient(factory);
                var email = await client.CreateVerifiedUserAsync();
                var signedIn = await client.SigninAsync(email);
                Assert.False(string.IsNullOrEmpty(signedIn.AccessToken));

                await using var db = new NpgsqlConnection(connectionString);
                var stored = await db.QuerySingleAsync<(bool Verified, long Sessions)>(
                    "SELECT u.email_verified_at IS NOT NULL, (SELECT count(*) FROM sessions s WHERE s.user_id = u.id) FROM users u WHERE u.email = @email", new { email });
                Assert.True(stored.Verified, "the user is not verified in this server's database");
                Assert.Equal(1, stored.Sessions);
            }
        }
        finally
        {
            server.Destroy();
        }
    }
}
