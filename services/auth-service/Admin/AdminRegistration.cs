namespace AuthService.Admin;

/// <summary>The admin API's store.</summary>
internal static class AdminRegistration
{
    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AdminUserStore>();
        return builder;
    }
}
