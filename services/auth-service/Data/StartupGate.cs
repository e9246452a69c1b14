namespace AuthService.Data;

/// <summary>Open once the database is migrated and the signing keys are loaded.</summary>
public sealed class StartupGate
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource unreachable = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => ready.Task.IsCompletedSuccessfully;

    /// <summary>Startup failed to reach the database (it keeps retrying): requests then get their 503 at once.</summary>
    public bool DatabaseUnreachable => unreachable.Task.IsCompleted;

    public void MarkDatabaseUnreachable() => unreachable.TrySetResult();

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

    /// <summary>
    /// True when open, waiting at most <paramref name="timeout"/>, and at most <paramref name="onceUnreachable"/> more once
    /// startup finds the database unreachable, also when it finds that out while this waits: a request that came in
    /// during the first connection attempt must not sit out the whole cold-start wait for a database that is down.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeSpan onceUnreachable, CancellationToken ct)
    {
        if (IsOpen) return true;
        try
        {
            if (!DatabaseUnreachable) await Task.WhenAny(ready.Task, unreachable.Task).WaitAsync(timeout, ct);
            if (!IsOpen) await ready.Task.WaitAsync(onceUnreachable, ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
