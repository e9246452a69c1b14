using System.Diagnostics;
using AuthService.Data;
using AuthService.Telemetry;
using Npgsql;

namespace AuthService.Sessions;

/// <summary>
/// Holds one connection of its own that LISTENs on <see cref="Channel"/> (migration 0009's triggers NOTIFY it on
/// every change a bearer check depends on) and drops the named users from the <see cref="SessionCache"/>.
/// Reconnects with backoff; while it is not connected the cache is bypassed, and each (re)connect empties it,
/// since notifications sent while nobody listened are lost.
/// </summary>
internal sealed class SessionChangeListener(IConfiguration configuration, SessionCache cache, StartupGate gate, AuthMetrics metrics,
    ILogger<SessionChangeListener> logger) : BackgroundService
{
    public const string Channel = "auth_changes";

    /// <summary>The listener connection's <c>application_name</c>, to tell it apart in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "auth-service-listener";

    /// <summary>How often an idle listener checks its connection, so one that died silently is noticed.</summary>
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Listening starts once migrations ran (the triggers exist) and the service is open.
            while (!await gate.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken)) { }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await using var dataSource = ListenerDataSource();
        var retry = FirstRetry;
        while (!stoppingToken.IsCancellationRequested)
        {
            var connected = false;
            try
            {
                await using var conn = await dataSource.OpenConnectionAsync(stoppingToken);
                conn.Notification += (_, e) => Apply(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", conn)) await listen.ExecuteNonQueryAsync(stoppingToken);
                cache.Connected();
                connected = true;
                metrics.ChangeListenerConnected(true);
                logger.LogInformation("Change listener connected: bearer checks use the session cache");
                retry = FirstRetry;
                while (true)
                {
                    if (await conn.WaitAsync(PingInterval, stoppingToken)) continue;
                    await using var ping = new NpgsqlCommand("SELECT 1", conn);
                    await ping.ExecuteScalarAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping.
            }
            catch (Exception e)
            {
                logger.LogWarning("Change listener {State}, bearer checks read the database; retrying in {Retry}: {Message}",
                    connected ? "disconnected" : "cannot connect", retry, e.Message);
            }
            finally
            {
                if (connected)
                {
                    cache.Disconnected();
                    metrics.ChangeListenerConnected(false);
                }
            }
            if (stoppingToken.IsCancellationRequested) break;
            try
            {
                await Task.Delay(retry, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }
    }

    /// <summary>A payload is user ids, comma-separated, or <c>*</c>; anything else drops everything, to be safe.</summary>
    internal void Apply(string payload)
    {
        var users = new HashSet<Guid>();
        foreach (var part in payload.Split(','))
        {
            if (!Guid.TryParse(part, out var id))
            {
                cache.Clear();
                return;
            }
            users.Add(id);
        }
        cache.InvalidateUsers(users);
    }

    /// <summary>Its own unpooled connection, named, failing fast, so the shared pool stays for requests.</summary>
    private NpgsqlDataSource ListenerDataSource()
    {
        var connectionString = configuration.GetConnectionString("Postgres") ?? "";
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName = ApplicationName;
        builder.ConnectionStringBuilder.WithoutGssProbe(connectionString);
        builder.ConnectionStringBuilder.Pooling = false;
        builder.ConnectionStringBuilder.Timeout = 3;
        builder.ConnectionStringBuilder.CommandTimeout = 3;
        builder.ConnectionStringBuilder.KeepAlive = 0; // the ping above does this, and can also see a dead server
        builder.Name = ApplicationName;
        builder.ConfigureTracing(t => t.ConfigureCommandFilter(_ => Activity.Current is not null)); // no trace per ping
        return builder.Build();
    }
}
