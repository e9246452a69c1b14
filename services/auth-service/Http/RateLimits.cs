using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace AuthService.Http;

/// <summary>The <c>RateLimits</c> section: per-client-IP limits on the endpoints that take credentials or send mail.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";
    public bool Enabled { get; set; } = true;
    public int PermitLimit { get; set; } = 20;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed; nobody else's is.</summary>
    public string[] TrustedProxies { get; set; } = [];
}

public static class RateLimits
{
    /// <summary>Signin, signup, resend-verification and password forgot/reset.</summary>
    public const string Credentials = "credentials";

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();

        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies, not even loopback by default.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var entry in options.TrustedProxies)
            {
                if (entry.Contains('/')) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                else o.KnownProxies.Add(IPAddress.Parse(entry));
            }
        });

        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(Credentials, http => !options.Enabled
                ? RateLimitPartition.GetNoLimiter("off")
                : RateLimitPartition.GetFixedWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.PermitLimit, Window = options.Window, QueueLimit = 0 }));
            o.OnRejected = async (context, _) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                    ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                    : (int)options.Window.TotalSeconds;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, 429, ErrorCodes.RateLimited, "Too many requests, slow down");
            };
        });
        return builder;
    }

    /// <summary>
    /// Honours X-Forwarded-For/Proto only when trusted proxies are configured: with empty lists the
    /// framework's middleware would believe every caller, letting anyone pick the IP its limits see.
    /// </summary>
    public static WebApplication UseTrustedForwardedHeaders(this WebApplication app)
    {
        var forwarded = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        if (forwarded.KnownProxies.Count > 0 || forwarded.KnownIPNetworks.Count > 0) app.UseForwardedHeaders();
        return app;
    }
}
