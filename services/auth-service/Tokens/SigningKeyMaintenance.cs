using AuthService.Data;
using AuthService.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AuthService.Tokens;

/// <summary>
/// Keeps the signing keys in order: at startup (a step of the database initializer) it creates the first
/// key and loads the ring; afterwards, every <see cref="KeyReloadInterval"/>, it schedules a rotation when
/// one is due and reloads the ring, so every replica sees the keys the others created.
/// </summary>
internal sealed class SigningKeyMaintenance(
    SigningKeyStore keyStore, SigningKeyRing keyRing, StartupGate gate, IOptions<AuthOptions> options, TimeProvider clock,
    ILogger<SigningKeyMaintenance> logger) : BackgroundService, IStartupStep
{
    public static readonly TimeSpan KeyReloadInterval = TimeSpan.FromSeconds(30);

    /// <summary>The startup step: a first key when there is none, then the ring.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (await keyStore.EnsureSigningKeyAsync(clock.GetUtcNow(), ct))
            logger.LogInformation("Created the first signing key");
        await MaintainKeysAsync(ct);
    }

    /// <summary>Schedules a rotation when one is due (any replica may; the store's lock keeps it to one key) and reloads the ring.</summary>
    public async Task MaintainKeysAsync(CancellationToken ct)
    {
        var auth = options.Value;
        var rotated = await keyStore.RotateIfDueAsync(clock.GetUtcNow(), auth.SigningKeys.RotationInterval,
            auth.SigningKeys.PublishLead, auth.AccessTokenLifetime, ct);
        if (rotated is not null) logger.LogInformation("Scheduled signing key {Kid}", rotated);
        await keyRing.ReloadAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!await gate.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken)) { }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception)
        {
            return; // startup failed: the initializer has logged it and stops the host
        }

        using var timer = new PeriodicTimer(KeyReloadInterval, clock);
        while (await WaitTick(timer, stoppingToken))
        {
            try
            {
                await MaintainKeysAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Signing keys not reloaded, database unavailable: {Message}", e.Message);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Keep serving with the keys already loaded; a failed reload must not stop the host.
                logger.LogError(e, "Signing key maintenance failed");
            }
        }
    }

    private static async Task<bool> WaitTick(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
