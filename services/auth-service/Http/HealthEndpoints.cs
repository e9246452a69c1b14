using AuthService.Data;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace AuthService.Http;

/// <summary>/healthz: the process is alive. /readyz: migrated, keys loaded, and the database answers now.</summary>
public static class HealthEndpoints
{
    public static IServiceCollection AddHealth(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("").WithTags("Health");
        // Liveness runs no checks: a slow database must not get a healthy process restarted.
        health.MapGet("/healthz", (Delegate)((HttpContext http) => Write(http, healthy: true))).WithName("Liveness")
            .Produces(200);
        health.MapGet("/readyz", async (HttpContext http, HealthCheckService checks, CancellationToken ct) =>
        {
            var report = await checks.CheckHealthAsync(c => c.Tags.Contains("ready"), ct);
            await Write(http, report.Status != HealthStatus.Unhealthy);
        }).WithName("Readiness").Produces(200).ProducesProblem(503);
        return app;
    }

    private static Task Write(HttpContext http, bool healthy)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (!healthy)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable, "The database is not reachable");
        }
        return http.Response.WriteAsJsonAsync(new { status = "ok" });
    }

    private sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource, StartupGate gate) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            if (!gate.IsOpen) return HealthCheckResult.Unhealthy("Starting: database not initialized yet.");
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await using var conn = await dataSource.OpenConnectionAsync(timeout.Token);
                await conn.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("Database unreachable.");
            }
        }
    }
}
