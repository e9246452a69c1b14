namespace AuthService.Sessions;

/// <summary>
/// Makes a change visible on the replica that made it at once: NOTIFY reaches this replica's listener only some
/// time after the commit, and a caller that logged out everywhere expects its next call here to be refused. So
/// every request that may change state (any method but GET, HEAD, OPTIONS) empties this replica's session cache as
/// its answer starts, which is after its endpoint committed; the emptying moves the cache's generation, so a
/// concurrent read of the old state is not stored either. Generic on purpose: no store has to remember to
/// invalidate. Endpoints marked <see cref="KeepsSessionCache"/> (the signins, refresh, signup and the mail requests) keep it, and a request that
/// matched no endpoint changed nothing: neither lets anyone empty the cache with a stream of refused requests.
/// Other processes (the admin commands) and other replicas reach this cache through NOTIFY only.
/// </summary>
internal static class SessionCacheInvalidation
{
    public static TBuilder KeepsSessionCache<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Sessions.KeepsSessionCache.Instance);

    public static WebApplication UseSessionCacheInvalidation(this WebApplication app)
    {
        var cache = app.Services.GetRequiredService<SessionCache>();
        // Decided before the endpoint runs, on the endpoint routing matched: most requests pass straight through.
        app.Use((http, next) => ChangesState(http) ? InvalidateAfterAsync(http, next, cache) : next(http));
        return app;
    }

    private static bool ChangesState(HttpContext http) =>
        !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method)
        && http.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<Sessions.KeepsSessionCache>() is null;

    private static async Task InvalidateAfterAsync(HttpContext http, RequestDelegate next, SessionCache cache)
    {
        var invalidated = false;
        void Invalidate()
        {
            if (invalidated) return;
            invalidated = true;
            cache.Clear();
        }
        http.Response.OnStarting(() =>
        {
            Invalidate();
            return Task.CompletedTask;
        });
        try
        {
            await next(http);
        }
        finally
        {
            // A caller that went away gets no answer, so OnStarting may never run; its change may have committed.
            if (http.RequestAborted.IsCancellationRequested) Invalidate();
        }
    }
}
