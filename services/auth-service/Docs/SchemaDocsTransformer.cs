using System.Text.Json;
using System.Text.Json.Nodes;
using AuthService.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AuthService.Docs;

/// <summary>
/// Applies <see cref="SchemaCatalog"/> to the generated schemas, and makes them say what the service really
/// accepts and answers: request members are never null (null means missing, a validation error), unknown
/// request members are refused, and numbers in answers are numbers.
/// </summary>
internal sealed class SchemaDocsTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        // The web defaults would read "900" as 900, so the generator allows strings; nothing here sends or reads one.
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Integer) && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (context.JsonPropertyInfo is not null || !SchemaCatalog.Types.TryGetValue(context.JsonTypeInfo.Type, out var doc))
            return Task.CompletedTask;

        var isRequest = context.JsonTypeInfo.Type.IsAssignableTo(typeof(JsonRequest));
        schema.Description = doc.Description;
        foreach (var property in doc.Properties)
        {
            if (schema.Properties?.TryGetValue(property.Name, out var member) != true)
                throw new InvalidOperationException($"{nameof(SchemaCatalog)}: {context.JsonTypeInfo.Type.Name} has no member '{property.Name}'.");
            if (isRequest && IsOpaqueJson(context, property.Name))
            {
                // A member carrying third-party JSON (a WebAuthn credential) is an object the endpoint reads itself.
                schema.Properties![property.Name] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = property.Description,
                    Examples = property.Example is null ? null : [ToNode(property.Example)],
                };
            }
            else if (member is OpenApiSchema inline)
            {
                inline.Description = property.Description;
                if (property.Example is not null) inline.Examples = [ToNode(property.Example)];
                if (isRequest && inline.Type is { } memberType) inline.Type = memberType & ~JsonSchemaType.Null;
            }
            else if (member is OpenApiSchemaReference reference)
            {
                reference.Description = property.Description;
            }
        }
        var unknown = schema.Properties!.Keys.Except(doc.Properties.Select(p => p.Name)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"{nameof(SchemaCatalog)}: {context.JsonTypeInfo.Type.Name} has undocumented members {string.Join(", ", unknown)}.");
        if (isRequest)
        {
            schema.Required = new HashSet<string>(doc.Properties.Where(p => p.Required).Select(p => p.Name));
            schema.AdditionalPropertiesAllowed = false; // JsonRequestRules: 400 validation_failed, errors.<member>: ["unknown_member"]
        }
        schema.Examples = [ToNode(SchemaCatalog.ExampleOf(doc.Properties))];
        return Task.CompletedTask;
    }

    private static bool IsOpaqueJson(OpenApiSchemaTransformerContext context, string name) =>
        context.JsonTypeInfo.Properties.FirstOrDefault(p => p.Name == name)?.PropertyType is { } type
        && (type == typeof(JsonElement) || type == typeof(JsonElement?));

    private static JsonNode ToNode(object value) => JsonSerializer.SerializeToNode(value, ExampleJsonContext.Default.Object)!;
}
