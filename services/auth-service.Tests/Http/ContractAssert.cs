using System.Net;
using System.Text.Json;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>Checks shared by every error and response (API.md, "Errors").</summary>
public static class ContractAssert
{
    /// <summary>A problem document as the contract describes it: status, code, type, title, traceId, no internals.</summary>
    public static async Task<JsonElement> IsContractProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var problem = await ProblemAssert.IsProblemAsync(response, status, code);
        await HasNoInternalsAsync(response, problem, status);
        return problem;
    }

    /// <summary>For statuses whose code the contract leaves open (405): any non-empty code.</summary>
    public static async Task<JsonElement> IsProblemWithAnyCodeAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()));
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        await HasNoInternalsAsync(response, problem, status);
        return problem;
    }

    public static void HasSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        Assert.Equal("no-referrer", Single(response, "Referrer-Policy"));
    }

    private static async Task HasNoInternalsAsync(HttpResponseMessage response, JsonElement problem, HttpStatusCode status)
    {
        Assert.Equal($"https://httpstatuses.io/{(int)status}", problem.GetProperty("type").GetString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        Assert.False(problem.TryGetProperty("exception", out _));
        Assert.False(problem.TryGetProperty("stackTrace", out _));
        HasSecurityHeaders(response);
    }

    private static string? Single(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? Assert.Single(values) : null;
}
