using AuthService.Options;
using Microsoft.Extensions.Options;

namespace AuthService.Http;

/// <summary>
/// Guards the cookie-authenticated endpoints. A cross-site form cannot set a custom header, and a
/// cross-origin fetch that sets one must pass CORS preflight; a present Origin (or Referer) must also
/// be one of <c>Auth:AllowedOrigins</c>. Either custom header will do: <c>X-Requested-With</c>, or
/// <c>X-CSRF-Token</c>, which clients written for GoTrue-style services send (its value is not a
/// secret here: the header's presence is what a cross-site form cannot forge).
/// </summary>
public sealed class CsrfFilter(IOptions<AuthOptions> options) : IEndpointFilter
{
    /// <summary>The custom headers that mark a script's request; CORS allows both.</summary>
    public static readonly string[] CustomHeaders = ["X-Requested-With", "X-CSRF-Token"];

    private readonly HashSet<string> allowed = new(
        options.Value.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        if (!CustomHeaders.Any(h => !string.IsNullOrWhiteSpace(request.Headers[h])) || !OriginAllowed(request))
            return ValueTask.FromResult<object?>(Problems.Create(403, ErrorCodes.CsrfFailed, "Cross-site request refused"));
        return next(context);
    }

    private bool OriginAllowed(HttpRequest request)
    {
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin) && Uri.TryCreate(request.Headers.Referer, UriKind.Absolute, out var referer))
            origin = referer.GetLeftPart(UriPartial.Authority);
        if (string.IsNullOrEmpty(origin)) return true; // same-origin navigations and non-browser clients
        return allowed.Contains(origin.TrimEnd('/')) || IsSelf(request, origin);
    }

    private static bool IsSelf(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);
}
