using AuthService.Http;
using Microsoft.OpenApi;

namespace AuthService.Docs;

/// <summary>
/// Mapping-call helpers that describe an endpoint for the OpenAPI document (metadata only: requests
/// behave the same with or without them). The refresh cookie and the CSRF header are described here
/// once, so every cookie endpoint says the same.
/// </summary>
public static class OpenApiEndpointExtensions
{
    public const string RefreshCookieName = "__Secure-refresh_token";

    private const string CookieAttributes =
        "`Path=/auth; Secure; HttpOnly; SameSite=Strict` (the cookie is named `refresh_token`, without `Secure`, where " +
        "`Auth:RefreshCookie:Secure` is off for local http; `Auth:RefreshCookie:SameSite` sets SameSite, and `None` forces Secure)";

    /// <summary>A problem this endpoint answers; several codes may share a status.</summary>
    public static TBuilder ProducesError<TBuilder>(this TBuilder builder, int status, string code, string? when = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ErrorResponseMetadata(status, code, when));

    public static TBuilder WithResponseDescription<TBuilder>(this TBuilder builder, int status, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseDescriptionMetadata(status, description));

    public static TBuilder WithResponseHeader<TBuilder>(this TBuilder builder, int status, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeaderMetadata(status, name, description));

    /// <summary>A body the framework cannot infer; <paramref name="schemaId"/> names a component schema, null for plain text.</summary>
    public static TBuilder WithResponseContent<TBuilder>(this TBuilder builder, int status, string contentType, string? schemaId)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseContentMetadata(status, contentType, schemaId));

    public static TBuilder WithRequestHeader<TBuilder>(this TBuilder builder, string name, string description, bool required = false, string? example = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestParameterMetadata(name, ParameterLocation.Header, description, required, example));

    /// <summary>Describes a route or query parameter the framework already lists (by name), or adds one it cannot see.</summary>
    public static TBuilder DescribesParameter<TBuilder>(this TBuilder builder, string name, ParameterLocation location, string description, string? example = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestParameterMetadata(name, location, description, location == ParameterLocation.Path, example));

    /// <summary>Answers even while the database is down or the service is starting (no 503): the liveness probe.</summary>
    public static TBuilder AlwaysAvailable<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AlwaysAvailableMetadata());

    public static TBuilder ReadsRefreshCookie<TBuilder>(this TBuilder builder, bool required, string use)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestParameterMetadata(RefreshCookieName, ParameterLocation.Cookie,
            $"The refresh token, set by signin and refresh; HttpOnly, so the browser sends it and page scripts never see it. {use}",
            required));

    public static TBuilder SetsRefreshCookie<TBuilder>(this TBuilder builder, int status) where TBuilder : IEndpointConventionBuilder =>
        builder.WithResponseHeader(status, "Set-Cookie",
            $"The new refresh token: `{RefreshCookieName}=<256-bit base64url>; Max-Age=<the session's remaining lifetime>; {CookieAttributes}`.");

    public static TBuilder ClearsRefreshCookie<TBuilder>(this TBuilder builder, int status, string? when = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithResponseHeader(status, "Set-Cookie",
            $"{when ?? "Clears"} the refresh cookie: `{RefreshCookieName}=; Max-Age=0; {CookieAttributes}`.");

    /// <summary>
    /// The cookie endpoints' CSRF guard (<see cref="CsrfFilter"/>): either custom header will do, so neither is required on
    /// its own (OpenAPI cannot say "one of"); each says so. Without both the answer is 403 csrf_failed.
    /// </summary>
    public static TBuilder RequiresCsrfHeader<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var header in CsrfFilter.CustomHeaders)
        {
            var other = CsrfFilter.CustomHeaders.Single(h => h != header);
            builder.WithMetadata(new RequestParameterMetadata(header, ParameterLocation.Header,
                $"Send this or `{other}` (any non-empty value); without either the answer is 403 `csrf_failed`. A cross-site form " +
                "cannot send a custom header, and a cross-origin script can only after a CORS preflight that `Auth:AllowedOrigins` " +
                "must allow; an `Origin` (or `Referer`) outside that list is refused too.",
                Required: false, Example: header == "X-Requested-With" ? "fetch" : null));
        }
        return builder.ProducesError(403, ErrorCodes.CsrfFailed);
    }
}
