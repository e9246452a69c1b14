using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;

namespace AuthService.Http;

/// <summary>
/// The JSON options of every endpoint, of problem details and of the OpenAPI document: build-time metadata only.
/// The framework's default resolver is the reflection-based one (in a JIT build), which would serialize any type
/// and so hide one missing from <see cref="AuthJsonContext"/> until a Native AOT build meets it.
/// </summary>
internal static class HttpJsonOptions
{
    public static IServiceCollection AddHttpJsonOptions(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));
        // After every Configure: the framework's own contexts (problem details, OpenAPI) stay, reflection goes.
        services.PostConfigure<JsonOptions>(o => RemoveReflection(o.SerializerOptions));
        return services;
    }

    private static void Configure(JsonSerializerOptions options)
    {
        options.AllowDuplicateProperties = false;
        options.MaxDepth = 16;
        options.TypeInfoResolverChain.Add(AuthJsonContext.Default);
    }

    private static void RemoveReflection(JsonSerializerOptions options)
    {
        var chain = options.TypeInfoResolverChain;
        for (var i = chain.Count - 1; i >= 0; i--)
            if (chain[i] is DefaultJsonTypeInfoResolver) chain.RemoveAt(i);
    }
}
