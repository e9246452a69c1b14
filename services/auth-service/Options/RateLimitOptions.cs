namespace AuthService.Options;

/// <summary>The <c>RateLimits</c> section: per-client-IP limits on the endpoints that take credentials or send mail.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";
    public bool Enabled { get; set; } = true;
    public int PermitLimit { get; set; } = 20;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed; nobody else's is.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>An IP address, or a CIDR range with a slash.</summary>
    public static bool IsProxyEntry(string entry) =>
        entry.Contains('/') ? System.Net.IPNetwork.TryParse(entry, out _) : System.Net.IPAddress.TryParse(entry, out _);
}
