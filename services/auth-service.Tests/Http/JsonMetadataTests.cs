using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AuthService.Tests.Http;

/// <summary>
/// The service's JSON runs on build-time metadata only (what Native AOT allows): the HTTP JSON options resolve the
/// source-generated contexts and nothing else, also in this JIT test host where reflection would serialize anything,
/// so a body type left out of a context fails here rather than in a Native AOT build.
/// </summary>
public sealed class JsonMetadataTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    private sealed record NotInAnyContext(string Name);

    private JsonSerializerOptions Options => fixture.Factory.Services.GetRequiredService<IOptions<HttpJsonOptions>>().Value.SerializerOptions;

    [Fact]
    public void TheHttpJsonOptions_HaveNoReflectionResolver()
    {
        var options = Options;

        Assert.NotEmpty(options.TypeInfoResolverChain);
        Assert.DoesNotContain(options.TypeInfoResolverChain, r => r is DefaultJsonTypeInfoResolver);
        Assert.All(options.TypeInfoResolverChain, r => Assert.IsAssignableFrom<System.Text.Json.Serialization.JsonSerializerContext>(r));
    }

    [Fact]
    public void ATypeInNoContext_HasNoMetadata_AndDoesNotSerialize()
    {
        var options = Options;

        Assert.False(options.TryGetTypeInfo(typeof(NotInAnyContext), out _));
        Assert.Throws<NotSupportedException>(() => options.GetTypeInfo(typeof(NotInAnyContext)));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize<object>(new NotInAnyContext("x"), options));
        Assert.Throws<NotSupportedException>(() => JsonSerializer.Serialize<object>(new { name = "x" }, options));
    }

    [Fact]
    public void EveryEndpointsRequestAndResponseBody_HasMetadataInTheHttpJsonOptions()
    {
        var options = Options;
        var endpoints = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        var bodies = endpoints
            .SelectMany(e => e.Metadata.OfType<IAcceptsMetadata>().Select(a => (e.DisplayName, Type: a.RequestType))
                .Concat(e.Metadata.OfType<IProducesResponseTypeMetadata>().Select(p => (e.DisplayName, p.Type))))
            .Where(b => b.Type is not null && b.Type != typeof(void))
            .ToList();
        Assert.True(bodies.Select(b => b.Type).Distinct().Count() >= 20, $"only {bodies.Count} declared bodies found");

        var missing = bodies.Where(b => !options.TryGetTypeInfo(b.Type!, out _)).Select(b => $"{b.DisplayName}: {b.Type}").Distinct().ToList();

        Assert.True(missing.Count == 0, "no build-time JSON metadata (add them to AuthJsonContext):\n" + string.Join("\n", missing));
    }

    [Fact]
    public void ProblemExtensionValues_Serialize()
    {
        // Problems put these in ProblemDetails.Extensions (typed object): each run-time type needs metadata of its own.
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Extensions = { ["code"] = "validation_failed", ["errors"] = new Dictionary<string, string[]> { ["email"] = ["required"] } },
        };

        var json = JsonSerializer.Serialize(problem, Options);

        Assert.Contains("\"errors\":{\"email\":[\"required\"]}", json, StringComparison.Ordinal);
    }
}
