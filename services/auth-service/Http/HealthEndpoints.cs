using AuthService.Data;
using AuthService.Docs;
using Dapper;
using Npgsql;

namespace AuthService.Http;

/// <summary>/healthz: the process is alive. /readyz: migrated, keys loaded, and the database answers now.</summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    // A constant, written as bytes: the first 200 from /readyz is what a start is timed to, and serializing
    // an object would first build the serializer's metadata for it by reflection.
    private static readonly byte[] Ok = """{"status":"ok"}"""u8.ToArray();

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("").WithTags("Health");
        // Liveness runs no checks: a slow database must not get a healthy process restarted.
        health.MapGet("/healthz", (Delegate)((HttpContext http) => Write(http, ready: true)))
            .WithName("Liveness").Produces(200)
            .WithSummary("Liveness probe")
            .WithDescription("200 while the process runs. Checks nothing else, so a slow database never gets a healthy process restarted.")
            .WithResponseContent(200, "application/json", ApiDocumentTransformer.HealthSchema)
            .WithResponseDescription(200, "Alive.")
            .AlwaysAvailable();
        health.MapGet("/readyz", async (HttpContext http, NpgsqlDataSource dataSource, StartupGate gate) =>
                await Write(http, gate.IsOpen && await DatabaseAnswersAsync(dataSource, http.RequestAborted)))
            .WithName("Readiness").Produces(200)
            .WithSummary("Readiness probe")
            .WithDescription("200 once the database is migrated, the signing keys are loaded and the database answers now (within 2 s).")
            .WithResponseContent(200, "application/json", ApiDocumentTransformer.HealthSchema)
            .WithResponseDescription(200, "Ready to serve.")
            .ProducesError(503, ErrorCodes.ServiceUnavailable, "Still starting, or the database does not answer.");
        return app;
    }

    private static async Task<bool> DatabaseAnswersAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            await using var conn = await dataSource.OpenConnectionAsync(timeout.Token);
            await conn.ExecuteScalarAsync<int>("SELECT 1", new { timeout.Token });
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    private static Task Write(HttpContext http, bool ready)
    {
        if (ready)
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = Ok.Length;
            return http.Response.Body.WriteAsync(Ok).AsTask();
        }
        http.Response.Headers.RetryAfter = "5";
        return Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable, "The database is not reachable");
    }
}
