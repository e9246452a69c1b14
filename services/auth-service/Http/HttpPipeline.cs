using System.Text;
using AuthService.Data;
using AuthService.Options;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AuthService.Http;

/// <summary>Cross-cutting HTTP behaviour: body limits, problem+json for every error, security headers, startup gate.</summary>
public static class HttpPipeline
{
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Every answer's policy, unless its endpoint set one itself (the API reference and the home page).</summary>
    public const string StrictContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'";

    private static readonly Encoding LenientUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static WebApplicationBuilder AddHttpPipeline(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
            // Header bytes that are not UTF-8 become U+FFFD instead of Kestrel's bare 400, so such a
            // request still gets a problem document and its bookkeeping (a signin is still counted).
            k.RequestHeaderEncodingSelector = _ => LenientUtf8;
        });
        var services = builder.Services;
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        services.AddExceptionHandler<ApiExceptionHandler>();
        // Binding failures end as a bare 400/415; the status-code page below turns them into problems.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        services.AddHttpJsonOptions();
        services.AddSingleton<CsrfFilter>();
        services.AddSingleton<BackgroundWorkQueue>().AddHostedService(sp => sp.GetRequiredService<BackgroundWorkQueue>());
        builder.AddRateLimits();

        // Credentialed CORS for exactly the configured SPA origins (the same list the CSRF filter
        // checks); any other origin gets no CORS headers.
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<AuthOptions>>((o, auth) => o.AddDefaultPolicy(p => p
            .WithOrigins([.. auth.Value.AllowedOrigins.Select(origin => origin.TrimEnd('/'))])
            .AllowCredentials()
            .WithHeaders(["Content-Type", "Authorization", .. CsrfFilter.CustomHeaders])
            .WithMethods("GET", "POST", "PATCH", "DELETE")
            .WithExposedHeaders("Retry-After")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return builder;
    }

    public static WebApplication UseHttpPipeline(this WebApplication app)
    {
        app.UseTrustedForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages(Problems.WriteForStatusAsync);
        app.Use(SecurityHeaders);
        app.Use(LimitBody);
        app.UseCorsWithoutReflection();
        app.Use(WaitForStartup(app.Services.GetRequiredService<StartupGate>()));
        app.UseRateLimiter();
        if (app.Services.GetRequiredService<IOptions<DevEndpointsOptions>>().Value.Enabled)
        {
            app.UseDefaultFiles(); // the demo SPA under /demo/, development only like the dev mailbox
            app.UseStaticFiles();
        }
        return app;
    }

    /// <summary>
    /// <c>UseCors()</c>, but the middleware is called directly: <c>UseMiddleware</c> calls an <c>Invoke</c> with a service
    /// parameter through reflection under Native AOT, on every request. The policy provider is stateless (it reads options).
    /// </summary>
    private static void UseCorsWithoutReflection(this WebApplication app)
    {
        var services = app.Services;
        var policies = services.GetRequiredService<ICorsPolicyProvider>();
        app.Use(next =>
        {
            var cors = new CorsMiddleware(next, services.GetRequiredService<ICorsService>(), services.GetRequiredService<ILoggerFactory>());
            return http => cors.Invoke(http, policies);
        });
    }

    /// <summary>Added as the response starts, so answers the exception handler rewrites carry them too.</summary>
    private static Task SecurityHeaders(HttpContext http, RequestDelegate next)
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // A page that needs more than its origin's files sets its own policy (Docs/); every other answer gets this one.
            if (!headers.ContainsKey(HeaderNames.ContentSecurityPolicy)) headers.ContentSecurityPolicy = StrictContentSecurityPolicy;
            if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            // Answers carry tokens and account data, errors included: nothing is cached unless the
            // endpoint chose a policy itself (JWKS and discovery are public and cacheable).
            if (!headers.ContainsKey(HeaderNames.CacheControl)) headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        return next(http);
    }

    /// <summary>
    /// Refuses a declared oversized body before reading it (Kestrel's limit catches chunked ones),
    /// and any charset but UTF-8: the contract says JSON in UTF-8, and other charsets either make the
    /// reader throw (utf-7: a 500) or transcode into something the validation never saw.
    /// </summary>
    private static Task LimitBody(HttpContext http, RequestDelegate next)
    {
        // An endpoint may carry a larger limit (RequestBodyLimit, e.g. the user import); Kestrel is told too.
        var limit = (long)MaxBodyBytes;
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>() is { } endpointLimit)
        {
            limit = endpointLimit.Bytes;
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        }
        if (http.Request.ContentLength > limit)
            return Problems.WriteAsync(http, 413, ErrorCodes.PayloadTooLarge, "Request body too large");
        if (!IsUtf8Charset(http.Request))
            return Problems.WriteAsync(http, 415, ErrorCodes.UnsupportedMediaType, "Request body must be application/json in UTF-8");
        return next(http);
    }

    /// <summary>
    /// True when the body is declared UTF-8 or declares no charset. UTF-8 aliases (<c>utf8</c>, quoted)
    /// are rewritten to <c>utf-8</c>, the one spelling the JSON reader resolves without throwing.
    /// </summary>
    private static bool IsUtf8Charset(HttpRequest request)
    {
        if (request.ContentType is not { } contentType || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.Charset.Length == 0)
            return true; // no charset: the reader assumes UTF-8; an unparsable type is left to the binder (415)
        // Only UTF-8, however the runtime would decode other names (utf-16 too: RFC 8259 §8.1).
        var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString();
        if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            return false;
        mediaType.Charset = "utf-8";
        request.ContentType = mediaType.ToString();
        return true;
    }

    private static Func<HttpContext, RequestDelegate, Task> WaitForStartup(StartupGate gate) => (http, next) =>
        gate.IsOpen || http.Request.Path.StartsWithSegments("/healthz") || http.Request.Path.StartsWithSegments("/readyz")
            ? next(http)
            : WaitThenNextAsync(gate, http, next);

    /// <summary>A cold start is waited out; a database known to be unreachable is answered at once.</summary>
    private static async Task WaitThenNextAsync(StartupGate gate, HttpContext http, RequestDelegate next)
    {
        if (!await gate.WaitAsync(TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250), http.RequestAborted))
        {
            http.Response.Headers.RetryAfter = "5";
            await Problems.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable,
                gate.DatabaseUnreachable ? "The database is not reachable" : "The service is starting");
            return;
        }
        await next(http);
    }
}
