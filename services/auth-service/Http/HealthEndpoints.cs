using AuthService.Data;
using Dapper;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
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
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithTags("Health").WithName("Liveness");
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = WriteAsync,
            ResultStatusCodes = { [HealthStatus.Unhealthy] = 503, [HealthStatus.Degraded] = 200, [HealthStatus.Healthy] = 200 },
        }).WithTags("Health").WithName("Readiness");
        return app;
    }

    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (report.Status == HealthStatus.Unhealthy)
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
