using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Http;

/// <summary>One mapped route and method, as the running service reports it (EndpointDataSource), ready to call.</summary>
public sealed record MappedRoute(string Method, string Path, string? Name, Type? JsonBodyType, bool RequiresAuth)
{
    public override string ToString() => $"{Method} {Path}";
}

public static partial class EndpointWalk
{
    /// <summary>Every route and method of the service; route parameters filled with plausible values.</summary>
    public static IReadOnlyList<MappedRoute> Routes(AuthServiceFactory factory) =>
        [.. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new MappedRoute(
                method,
                Parameter().Replace(e.RoutePattern.RawText!, m => m.Groups[1].Value == "documentName" ? "v1" : Guid.NewGuid().ToString()),
                e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                e.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: { } type } accepts && accepts.ContentTypes.Contains("application/json") ? type : null,
                e.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null)))
            .OrderBy(r => r.Path, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)];

    [GeneratedRegex(@"\{([A-Za-z]+)[^}]*\}")]
    private static partial Regex Parameter();
}
