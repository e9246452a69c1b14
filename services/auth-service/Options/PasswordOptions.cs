namespace AuthService.Options;

public sealed class PasswordOptions
{
    public int MinLength { get; set; } = 15;

    /// <summary>Argon2id iterations (t) and memory in KiB (m); OWASP floor t=2, m=19 MiB.</summary>
    public int HashIterations { get; set; } = 2;
    public int HashMemoryKiB { get; set; } = 19 * 1024;

    /// <summary>Hashes running at once; beyond it requests queue for <see cref="HashQueueTimeout"/>.</summary>
    public int MaxConcurrentHashes { get; set; } = Environment.ProcessorCount;
    public TimeSpan HashQueueTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
