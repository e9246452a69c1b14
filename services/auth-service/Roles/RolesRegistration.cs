namespace AuthService.Roles;

/// <summary>Role names, and the store behind the grant-role and revoke-role commands and the admin API.</summary>
internal static class RolesRegistration
{
    public static WebApplicationBuilder AddRoles(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RoleStore>();
        return builder;
    }
}
