namespace AuthService.Data;

public static class DbTime
{
    /// <summary>A <c>timestamptz</c> read as DateTime, as the UTC instant it is.</summary>
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>
    /// How far the service's clock is from real time, for SQL that reads the database's clock: zero
    /// with the system clock; tests that move the service's clock pass it so both clocks agree.
    /// </summary>
    public static TimeSpan ClockOffset(TimeProvider clock) =>
        ReferenceEquals(clock, TimeProvider.System) ? TimeSpan.Zero : clock.GetUtcNow() - TimeProvider.System.GetUtcNow();
}
