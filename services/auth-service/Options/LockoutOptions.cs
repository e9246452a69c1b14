namespace AuthService.Options;

public sealed class LockoutOptions
{
    public int MaxFailures { get; set; } = 10;
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);
}
