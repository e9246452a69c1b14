using Microsoft.AspNetCore.Http.Metadata;

namespace AuthService.Http;

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
