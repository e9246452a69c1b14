using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AuthService.Tests.Http;

/// <summary>Work kept off the path to ready (scripts/bench-start.sh): it must stay off, and nothing may depend on it.</summary>
public sealed class StartupWorkTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    [Fact]
    public void DataProtectionKeyRing_IsNotLoadedAtStart_ButStillWorksWhenAsked()
    {
        var services = fixture.Factory.Services;

        Assert.DoesNotContain(services.GetServices<IHostedService>(), s => s.GetType().FullName!.Contains("DataProtection", StringComparison.Ordinal));
        // Anything that does use Data Protection later gets its key ring on first use.
        var protector = services.GetRequiredService<IDataProtectionProvider>().CreateProtector("startup-work-test");
        Assert.Equal("payload", protector.Unprotect(protector.Protect("payload")));
    }

    [Fact]
    public void DataSource_DoesNotProbeForGssEncryption_UnlessTheConnectionStringAsks()
    {
        var dataSource = fixture.Factory.Services.GetRequiredService<NpgsqlDataSource>();

        Assert.Equal(GssEncryptionMode.Disable, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).GssEncryptionMode);
    }
}
