namespace AuthService.Data;

/// <summary>Open once the database is migrated and the signing keys are loaded.</summary>
public sealed class StartupGate
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => ready.Task.IsCompletedSuccessfully;

    /// <summary>Set while startup keeps failing to reach the database: requests then get their 503 at once.</summary>
    public bool DatabaseUnreachable { get; set; }

    public void Open() => ready.TrySetResult();

    public void Fail(Exception e) => ready.TrySetException(e);

    /// <summary>True when open, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (IsOpen) return true;
        try
        {
            await ready.Task.WaitAsync(timeout, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
