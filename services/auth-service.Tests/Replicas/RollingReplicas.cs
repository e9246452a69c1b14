using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Replicas;

/// <summary>
/// Two replicas on one database behind a load balancer, restarted one at a time with new settings, as a rolling
/// update does: the new replica starts and becomes ready, takes the old one's place, and the old one drains
/// (requests already on it finish; none new arrive) before it stops. All share one fixed clock.
/// </summary>
public sealed class RollingReplicas(string database, DateTimeOffset now) : IAsyncDisposable
{
    private readonly Replica?[] slots = new Replica?[2];
    private int generation;

    public int Count => slots.Length;

    /// <summary>The service behind <paramref name="slot"/> right now (for its services; HTTP goes through <see cref="SendAsync{T}"/>).</summary>
    public AuthServiceFactory this[int slot] => Volatile.Read(ref slots[slot])!.Factory;

    /// <summary>Starts (or, when running, replaces) every replica with <paramref name="settings"/>, one after the other.</summary>
    public async Task RollAsync(IReadOnlyDictionary<string, string?> settings)
    {
        for (var slot = 0; slot < slots.Length; slot++) await RollAsync(slot, settings);
    }

    public async Task RollAsync(int slot, IReadOnlyDictionary<string, string?> settings)
    {
        var factory = new AuthServiceFactory(database, settings);
        factory.Clock.Set(now);
        await factory.StartAsync();
        var previous = Interlocked.Exchange(ref slots[slot], new Replica(factory, $"replica {slot}.{Interlocked.Increment(ref generation)}"));
        if (previous is not null) await previous.DrainAndStopAsync();
    }

    /// <summary>Runs <paramref name="call"/> against the replica in <paramref name="slot"/>, which cannot stop meanwhile.</summary>
    public async Task<T> SendAsync<T>(int slot, Func<Replica, Task<T>> call)
    {
        while (true)
        {
            var replica = Volatile.Read(ref slots[slot])!;
            if (!replica.TryEnter())
            {
                await Task.Yield(); // draining: its successor is already in the slot
                continue;
            }
            try
            {
                return await call(replica);
            }
            finally
            {
                replica.Exit();
            }
        }
    }

    /// <summary>A handler for a downstream API's metadata requests (discovery, JWKS), spread over the replicas.</summary>
    public HttpMessageHandler Backchannel() => new BalancingHandler(this);

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in slots)
            if (replica is not null) await replica.DrainAndStopAsync();
    }

    /// <summary>One replica: the service, a client for it, and the count of requests on it (for draining).</summary>
    public sealed class Replica(AuthServiceFactory factory, string name)
    {
        private int inFlight;
        private int draining;

        public AuthServiceFactory Factory => factory;
        public AuthClient Client { get; } = new(factory);
        public HttpMessageHandler Handler { get; } = factory.Server.CreateHandler();
        public string Name => name;

        internal bool TryEnter()
        {
            Interlocked.Increment(ref inFlight);
            if (Volatile.Read(ref draining) == 0) return true;
            Interlocked.Decrement(ref inFlight);
            return false;
        }

        internal void Exit() => Interlocked.Decrement(ref inFlight);

        internal async Task DrainAndStopAsync()
        {
            Interlocked.Exchange(ref draining, 1);
            await Wait.UntilAsync(() => Task.FromResult(Volatile.Read(ref inFlight) == 0), $"{name} to drain", TimeSpan.FromSeconds(30));
            await factory.DisposeAsync();
        }
    }

    private sealed class BalancingHandler(RollingReplicas replicas) : HttpMessageHandler
    {
        private int next;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            replicas.SendAsync((Interlocked.Increment(ref next) & int.MaxValue) % replicas.Count, async replica =>
            {
                using var invoker = new HttpMessageInvoker(replica.Handler, disposeHandler: false);
                var response = await invoker.SendAsync(request, cancellationToken);
                // Read it all while the replica is held: the body must not outlive its server.
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return response;
            });
    }
}
