using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;

namespace AuthService.Http;

/// <summary>
/// Base of every JSON request body. Members the endpoint does not know are collected here rather
/// than dropped, and <see cref="JsonRequestRules.RefuseUnknownMembers"/> answers them with 400
/// <c>validation_failed</c>: a client that sends <c>username</c> or <c>profile.displayName</c> learns
/// at once that they were not taken. A member meant to carry opaque third-party JSON (say a WebAuthn
/// <c>credential</c>) is declared as <see cref="JsonElement"/> and stays opaque.
/// </summary>
public abstract record JsonRequest
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownMembers { get; init; }
}

public static class JsonRequestRules
{
    /// <summary>The field error code for a member the endpoint does not know.</summary>
    public const string UnknownMember = "unknown_member";

    /// <summary>
    /// For every endpoint under <paramref name="builder"/>: a body with unknown members is refused,
    /// each one named in <c>errors</c>. A JSON body type that does not derive from
    /// <see cref="JsonRequest"/> is a mistake this refuses to build.
    /// </summary>
    public static TBuilder RefuseUnknownMembers<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory((context, next) =>
        {
            var bodies = context.MethodInfo.GetParameters()
                .Where(p => p.ParameterType.IsAssignableTo(typeof(JsonRequest))).Select(p => p.Position).ToArray();
            if (bodies.Length == 0) return next;

            return invocation =>
            {
                var errors = new Dictionary<string, string[]>();
                foreach (var position in bodies)
                    if (invocation.Arguments[position] is JsonRequest { UnknownMembers: { Count: > 0 } unknown })
                        foreach (var name in unknown.Keys) errors[name] = [UnknownMember];
                return errors.Count > 0 ? ValueTask.FromResult<object?>(Problems.Validation(errors)) : next(invocation);
            };
        });
        builder.Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IAcceptsMetadata>().FirstOrDefault()?.RequestType is { } bodyType && !bodyType.IsAssignableTo(typeof(JsonRequest)))
                throw new InvalidOperationException($"{endpoint.DisplayName}: request body {bodyType.Name} must derive from {nameof(JsonRequest)}.");
        });
        return builder;
    }
}
