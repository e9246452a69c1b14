using System.Globalization;
using System.Text.Json.Nodes;
using AuthService.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace AuthService.Docs;

/// <summary>
/// Writes each operation's answers from its endpoint metadata (<see cref="OpenApiEndpointExtensions"/>) and from
/// the rules every endpoint shares: a JSON body can be malformed, too large, of another media type or carry
/// unknown members; a bearer endpoint answers 401 without a valid token; a rate-limited one 429; any can fail
/// with 500, and all but the liveness probe answer 503 while the database is unreachable.
/// </summary>
internal sealed class OperationDocsTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer needs the document.");
        operation.Responses ??= [];
        // The mapping call's words win over a handler's XML <summary>, which explains code to its maintainers.
        if (metadata.OfType<IEndpointSummaryMetadata>().LastOrDefault() is { } summary) operation.Summary = summary.Summary;
        if (metadata.OfType<IEndpointDescriptionMetadata>().LastOrDefault() is { } description) operation.Description = description.Description;

        // Several bodies named for one status and media type are alternatives (signin: signed in, or a second factor needed): oneOf.
        foreach (var alternatives in metadata.OfType<ResponseContentMetadata>().GroupBy(c => (c.Status, c.ContentType)))
        {
            var response = Inline(operation, alternatives.Key.Status);
            response.Content ??= new Dictionary<string, OpenApiMediaType>();
            var schemas = alternatives.Select(content => content.SchemaId is null
                ? (IOpenApiSchema)new OpenApiSchema { Type = JsonSchemaType.String }
                : new OpenApiSchemaReference(content.SchemaId, document)).ToList();
            response.Content[alternatives.Key.ContentType] = new OpenApiMediaType
            {
                Schema = schemas.Count == 1 ? schemas[0] : new OpenApiSchema { OneOf = schemas },
            };
        }
        foreach (var response in metadata.OfType<ResponseDescriptionMetadata>())
            Inline(operation, response.Status).Description = response.Description;

        foreach (var parameter in metadata.OfType<RequestParameterMetadata>())
        {
            operation.Parameters ??= [];
            var existing = operation.Parameters.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == parameter.Name && p.In == parameter.In);
            if (existing is null)
            {
                existing = new OpenApiParameter { Name = parameter.Name, In = parameter.In, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                operation.Parameters.Add(existing);
            }
            existing.Description = parameter.Description;
            existing.Required = parameter.Required;
            if (parameter.Example is not null) existing.Example = JsonValue.Create(parameter.Example);
        }
        if (operation.RequestBody is OpenApiRequestBody body)
            body.Description ??= "JSON in UTF-8, at most 16 KiB.";

        var headerStatuses = metadata.OfType<ResponseHeaderMetadata>().Select(h => h.Status).ToHashSet();
        foreach (var group in Errors(operation, metadata).GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            var errors = group.ToList();
            var status = group.Key.ToString(CultureInfo.InvariantCulture);
            operation.Responses[status] = errors is [{ When: null } only] && !headerStatuses.Contains(group.Key)
                ? new OpenApiResponseReference(ComponentName(only.Code), document) // the shared answer, described once
                : ProblemResponse(errors, document);
        }

        foreach (var header in metadata.OfType<ResponseHeaderMetadata>())
        {
            var response = Inline(operation, header.Status);
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[header.Name] = new OpenApiHeader { Description = header.Description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        }
        return Task.CompletedTask;
    }

    /// <summary>The component name of the shared response (and example) for a code: rate_limited → RateLimited.</summary>
    public static string ComponentName(string code) =>
        string.Concat(code.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>A problem+json response for one status: its codes, when each happens, an example of each, and their headers.</summary>
    public static OpenApiResponse ProblemResponse(IReadOnlyList<ErrorResponseMetadata> errors, OpenApiDocument document)
    {
        var codes = errors.Select(e => e.Code).Distinct().ToList();
        var response = new OpenApiResponse
        {
            Description = string.Join("\n\n", codes.Select(code =>
            {
                var whens = errors.Where(e => e.Code == code && e.When is not null).Select(e => e.When!).ToList();
                return $"`{code}`: {(whens.Count > 0 ? string.Join(" ", whens) : ProblemCatalog.For(code).Meaning)}";
            })),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ApiDocumentTransformer.ProblemContentType] = new()
                {
                    Schema = new OpenApiSchema
                    {
                        AllOf =
                        [
                            new OpenApiSchemaReference(ApiDocumentTransformer.ProblemSchema, document),
                            new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. codes.Select(c => (JsonNode)c)] },
                                },
                            },
                        ],
                    },
                    Examples = codes.ToDictionary(code => code, IOpenApiExample (code) => new OpenApiExampleReference(ComponentName(code), document)),
                },
            },
        };
        var docs = codes.Select(ProblemCatalog.For).ToList();
        if (docs.Any(d => d.RetryAfter) || docs.Any(d => d.WwwAuthenticate))
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>();
            if (docs.Any(d => d.RetryAfter)) response.Headers["Retry-After"] = new OpenApiHeaderReference(ApiDocumentTransformer.RetryAfterHeader, document);
            if (docs.Any(d => d.WwwAuthenticate)) response.Headers["WWW-Authenticate"] = new OpenApiHeaderReference(ApiDocumentTransformer.WwwAuthenticateHeader, document);
        }
        return response;
    }

    private static IEnumerable<ErrorResponseMetadata> Errors(OpenApiOperation operation, IList<object> metadata)
    {
        foreach (var error in metadata.OfType<ErrorResponseMetadata>()) yield return error;
        if (operation.RequestBody is not null)
        {
            yield return new(400, ErrorCodes.ValidationFailed, "A member the endpoint does not know is refused by name: `errors.<member>: [\"unknown_member\"]`.");
            yield return new(400, ErrorCodes.MalformedRequest);
            yield return new(413, ErrorCodes.PayloadTooLarge);
            yield return new(415, ErrorCodes.UnsupportedMediaType);
        }
        if (metadata.OfType<IAuthorizeData>().Any()) yield return new(401, ErrorCodes.Unauthorized);
        if (metadata.OfType<EnableRateLimitingAttribute>().Any()) yield return new(429, ErrorCodes.RateLimited);
        if (!metadata.OfType<AlwaysAvailableMetadata>().Any() && !metadata.OfType<ErrorResponseMetadata>().Any(e => e.Status == 503))
            yield return new(503, ErrorCodes.ServiceUnavailable);
        yield return new(500, ErrorCodes.InternalError);
    }

    /// <summary>The operation's own (not shared) response for <paramref name="status"/>, created when missing.</summary>
    private static OpenApiResponse Inline(OpenApiOperation operation, int status)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var existing) && existing is OpenApiResponse response) return response;
        response = new OpenApiResponse { Description = "" };
        operation.Responses[key] = response;
        return response;
    }
}
