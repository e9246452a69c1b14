using System.Text.Json.Serialization;

namespace AuthService.Docs;

/// <summary>
/// Build-time serializer metadata for the examples in <see cref="SchemaCatalog"/> (values typed object): every
/// run-time type an example uses. One missing here stops the document from being built, in the tests.
/// </summary>
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(object[]))]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>[]))]
internal sealed partial class ExampleJsonContext : JsonSerializerContext;
