using System.Text.Json;

namespace AuthService.Tests.Docs;

/// <summary>An OpenAPI document as JSON, with the look-ups the tests need ($ref responses resolved).</summary>
public sealed class ApiDocument(JsonElement root)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    public JsonElement Root { get; } = root;

    public IEnumerable<(string Path, string Method, JsonElement Operation)> Operations() =>
        from path in Root.GetProperty("paths").EnumerateObject()
        from item in path.Value.EnumerateObject()
        where Methods.Contains(item.Name)
        select (path.Name, item.Name, item.Value);

    public JsonElement Operation(string path, string method) =>
        TryOperation(path, method, out var operation) ? operation : throw new KeyNotFoundException($"{method} {path} is not in the document");

    public bool TryOperation(string path, string method, out JsonElement operation)
    {
        operation = default;
        return Root.GetProperty("paths").TryGetProperty(path, out var item) && item.TryGetProperty(method, out operation);
    }

    /// <summary>The operation's responses by status, with <c>$ref</c>s to components followed.</summary>
    public IEnumerable<(string Status, JsonElement Response)> Responses(JsonElement operation) =>
        operation.GetProperty("responses").EnumerateObject().Select(r => (r.Name, Resolve(r.Value)));

    public JsonElement Resolve(JsonElement node)
    {
        while (node.ValueKind == JsonValueKind.Object && node.TryGetProperty("$ref", out var reference))
        {
            node = Root;
            foreach (var part in reference.GetString()!.TrimStart('#', '/').Split('/')) node = node.GetProperty(part.Replace("~1", "/").Replace("~0", "~"));
        }
        return node;
    }

    /// <summary>The error codes a problem response lists (its schema's <c>code</c> enum); empty when it lists none.</summary>
    public string[] Codes(JsonElement response)
    {
        if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty("application/problem+json", out var problem)) return [];
        // allOf: [the shared Problem schema (every code), this answer's own narrowing of `code`]
        return [.. problem.GetProperty("schema").GetProperty("allOf").EnumerateArray()
            .Where(s => s.TryGetProperty("properties", out var p) && p.TryGetProperty("code", out var c) && c.TryGetProperty("enum", out _))
            .SelectMany(s => s.GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!))];
    }

    /// <summary>Whether <paramref name="operation"/> documents <paramref name="code"/> under <paramref name="status"/>.</summary>
    public bool Documents(JsonElement operation, int status, string code) =>
        Responses(operation).Any(r => r.Status == status.ToString(System.Globalization.CultureInfo.InvariantCulture) && Codes(r.Response).Contains(code));
}
