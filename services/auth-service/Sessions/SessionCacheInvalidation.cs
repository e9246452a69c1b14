namespace AuthService.Sessions;

/// <summary>
/// Makes a change visible on the replica that made it at once: NOTIFY reaches this replica's listener only some
/// time after the commit, and a caller that logged out everywhere expects its next call here to be refused. So
/// every request that may change state (any method but GET, HEAD, OPTIONS) empties this replica's session cache as
/// its answer starts, which is after its endpoint committed; the emptying moves the cache's generation, so a
/// concurrent read of the old state is not stored either. Generic on purpose: no store has to remember to
/// invalidate. Endpoints marked <see cref="KeepsSessionCacheOnSuccess"/> (signin, refresh) keep it on success.
/// Other processes (the admin commands) and other replicas reach this cache through NOTIFY only.
/// </summary>
internal static class SessionCacheInvalidation
{
    public static TBuilder KeepsSessionCacheOnSuccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Sessions.KeepsSessionCacheOnSuccess.Instance);

    public static WebApplication UseSessionCacheInvalidation(this WebApplication app)
    {
        var cache = app.Services.GetRequiredService<SessionCache>();
        app.Use(async (http, next) =>
        {
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
            {
                await next(http);
                return;
            }
            var invalidated = false;
            void Invalidate()
            {
                if (invalidated) return;
                invalidated = true;
                var kept = http.Response.StatusCode is >= 200 and < 300
                    && http.GetEndpoint()?.Metadata.GetMetadata<Sessions.KeepsSessionCacheOnSuccess>() is not null;
                if (!kept) cache.Clear();
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
        });
        return app;
    }
}
