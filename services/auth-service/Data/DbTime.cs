namespace AuthService.Data;

public static class DbTime
{
    /// <summary>A <c>timestamptz</c> read as DateTime, as the UTC instant it is.</summary>
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
