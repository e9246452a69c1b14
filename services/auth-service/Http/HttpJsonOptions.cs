using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;

namespace AuthService.Http;

/// <summary>The JSON options of every endpoint, of problem details and of the OpenAPI document.</summary>
internal static class HttpJsonOptions
{
    public static void Configure(JsonOptions options) => Configure(options.SerializerOptions);

    public static void Configure(JsonSerializerOptions options)
    {
        options.AllowDuplicateProperties = false;
        options.MaxDepth = 16;
        // Build-time metadata only: the framework's default is the reflection-based resolver (in a JIT build), which
        // would serialize any type and so hide one missing from the context until a Native AOT build meets it.
        // The framework appends its own problem details context after this (AddProblemDetails).
        options.TypeInfoResolverChain.Clear();
        options.TypeInfoResolverChain.Add(AuthJsonContext.Default);
    }
}
