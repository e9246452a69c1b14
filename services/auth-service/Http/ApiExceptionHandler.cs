using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace AuthService.Http;

/// <summary>
/// Turns every exception into the contract's problem document: an unreachable database is a 503
/// the client may retry, a bug is a 500 whose details stay in the log under the traceId.
/// </summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (http.Response.HasStarted) return false;

        switch (exception)
        {
            case BadHttpRequestException bad:
                var (code, title) = ErrorCodes.ForStatus(bad.StatusCode);
                await Problems.WriteAsync(http, bad.StatusCode, code, title);
                return true;

            case ServiceBusyException busy:
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable, "The service is busy, retry shortly");
                return true;

            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return true; // the client went away; nobody reads an answer

            case var e when DatabaseUnavailable(e):
                logger.LogWarning("Database unavailable: {Message}", e.Message);
                http.Response.Headers.RetryAfter = "5";
                await Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable, "The service is temporarily unavailable");
                return true;

            default:
                logger.LogError(exception, "Unhandled exception for {Method} {Path}", http.Request.Method,
                    HeaderText.Clean(http.Request.Path.Value, HeaderText.MaxLoggedLength)); // the decoded path is client text
                await Problems.WriteAsync(http, 500, ErrorCodes.InternalError, "Internal error");
                return true;
        }
    }

    /// <summary>Connection-level failures (not SQL errors, which are bugs) mean the database is out of reach.</summary>
    internal static bool DatabaseUnavailable(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        InvalidOperationException ioe when ioe.InnerException is NpgsqlException => true,
        _ => false,
    };
}
