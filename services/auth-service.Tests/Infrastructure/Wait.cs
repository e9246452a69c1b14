namespace AuthService.Tests.Infrastructure;

/// <summary>The one wait-until helper: polls a condition until it holds, or fails with a message saying what never happened.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromMilliseconds(25);

    /// <summary>Returns once <paramref name="condition"/> is true; throws <see cref="TimeoutException"/> with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? poll = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not within {limit}: {what}");
            await Task.Delay(poll ?? DefaultPoll);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value (not null), and returns that value.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null, TimeSpan? poll = null) where T : class
    {
        T? value = null;
        await UntilAsync(async () => (value = await probe()) is not null, what, timeout, poll);
        return value!;
    }
}
