namespace AuthService.Http;

/// <summary>Framework work that the service does not need and that would otherwise run on the path to ready.</summary>
public static class UnusedStartupWork
{
    private const string DataProtectionStartup = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// AddAuthentication brings ASP.NET Core Data Protection, whose hosted service loads (and on a fresh
    /// container first writes) an XML key ring at every start. Nothing here protects data with it: cookies
    /// carry opaque tokens and tokens are signed with the service's own keys. Without the hosted service
    /// the key ring would still be made on first use, so anything that needs it later keeps working.
    /// </summary>
    public static WebApplicationBuilder SkipUnusedStartupWork(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.FullName == DataProtectionStartup)
                services.RemoveAt(i);
        }
        return builder;
    }
}
