using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using AuthService.Options;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace AuthService.Http;

public static class RateLimits
{
    /// <summary>Signin, signup, resend-verification and password forgot/reset.</summary>
    public const string Credentials = "credentials";

    /// <summary>The admin API: per client address, ten times <c>RateLimits:PermitLimit</c> (paging a user list is many calls).</summary>
    public const string Admin = "admin";

    /// <summary>Binds and validates the <c>RateLimits</c> section (at startup, naming the key), then the limiter and forwarded headers from it.</summary>
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart()
            .Validate(o => o.PermitLimit >= 1, "RateLimits:PermitLimit must be at least 1.")
            .Validate(o => o.Window > TimeSpan.Zero, "RateLimits:Window must be a positive TimeSpan such as 00:01:00.")
            .Validate(o => o.TrustedProxies.All(RateLimitOptions.IsProxyEntry),
                "RateLimits:TrustedProxies entries must be IP addresses or CIDR ranges such as 10.0.0.0/8.");

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies, not even loopback by default.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var entry in limits.Value.TrustedProxies)
            {
                if (entry.Contains('/')) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
                else o.KnownProxies.Add(IPAddress.Parse(entry));
            }
        });

        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((o, limits) =>
        {
            var options = limits.Value;
            o.AddPolicy(Credentials, http => !options.Enabled
                ? RateLimitPartition.GetNoLimiter("off")
                : RateLimitPartition.GetFixedWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.PermitLimit, Window = options.Window, QueueLimit = 0 }));
            o.AddPolicy(Admin, http => !options.Enabled
                ? RateLimitPartition.GetNoLimiter("off")
                : RateLimitPartition.GetFixedWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.PermitLimit * 10, Window = options.Window, QueueLimit = 0 }));
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
