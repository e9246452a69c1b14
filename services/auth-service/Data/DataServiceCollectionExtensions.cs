using System.Diagnostics;
using Npgsql;

namespace AuthService.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>One <see cref="NpgsqlDataSource"/> for the process; connections are taken per unit of work.</summary>
    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder webBuilder)
    {
        var services = webBuilder.Services;
        var connectionString = webBuilder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("ConnectionStrings:Postgres is required (environment: ConnectionStrings__Postgres).");

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            // Fail fast during an outage: requests answer 503 within seconds instead of hanging.
            builder.ConnectionStringBuilder.Timeout = 3;
            builder.ConnectionStringBuilder.CommandTimeout = 10;
        }
        builder.ConnectionStringBuilder.ApplicationName ??= "auth-service";
        builder.ConnectionStringBuilder.WithoutGssProbe(connectionString);
        // Hot statements are prepared once per connection. No reset on close: the service keeps no
        // session state (its settings are transaction-local), and DISCARD ALL would also throw away
        // the cached plans of rotate_refresh_token_v3 on every checkout.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase))
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        // The pool's name in metrics and spans; it would be the connection string (host, user, database) otherwise.
        builder.Name = "auth-service";
        // Database spans only within a request's or a job's span: the pollers' idle queries (outbox every
        // second, keys, cleanup) would otherwise each be a trace of their own.
        builder.ConfigureTracing(t => t.ConfigureCommandFilter(_ => Activity.Current is not null).ConfigureBatchFilter(_ => Activity.Current is not null));
        services.AddSingleton(builder.Build());
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<StartupGate>();
        services.AddHostedService<DatabaseInitializer>();
        services.AddSingleton<CleanupService>().AddHostedService(sp => sp.GetRequiredService<CleanupService>());
        return webBuilder;
    }
}
