using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace AuthService.Http;

/// <summary>Builds the contract's RFC 9457 problem documents: every error carries a stable <c>code</c>.</summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail,
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(statusCode: 400, title: "The request has invalid fields",
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.ValidationFailed, ["errors"] = errors });

    public static ProblemHttpResult Unauthorized() =>
        Create(401, ErrorCodes.Unauthorized, "A valid access token is required");

    public static ProblemHttpResult NotFound() => Create(404, ErrorCodes.NotFound, "Not found");

    /// <summary>Adds <c>type</c> and <c>traceId</c> to every problem, whoever produced it.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Status = status;
        problem.Type = $"https://httpstatuses.io/{status}";
        problem.Instance = null;
        problem.Extensions.Remove("exception");
        if (!problem.Extensions.ContainsKey("code"))
        {
            var (code, title) = ErrorCodes.ForStatus(status);
            problem.Extensions["code"] = code;
            problem.Title = title;
            problem.Detail = null;
        }
        // The request's own span (W3C traceparent form, 00-{trace id}-{span id}-{flags}): the trace an
        // operator looks up, whichever inner span happens to be current while the problem is written.
        var request = context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity;
        problem.Extensions["traceId"] = request?.Id ?? Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
    }

    /// <summary>Writes a problem for a response the framework ended with an empty error status (404, 405, 415 …).</summary>
    public static async Task WriteForStatusAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var (code, title) = ErrorCodes.ForStatus(http.Response.StatusCode);
        var writer = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = http.Response.StatusCode,
                Title = title,
                Extensions = { ["code"] = code },
            },
        });
    }

    public static Task WriteAsync(HttpContext http, int status, string code, string title)
    {
        http.Response.StatusCode = status;
        var writer = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        return writer.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Extensions = { ["code"] = code } },
        }).AsTask();
    }
}
