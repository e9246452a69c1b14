using System.Text.Json;
using System.Text.Json.Serialization;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TokenAnswer))]
internal sealed partial class SignedTokenJson : JsonSerializerContext;
