using AuthService.Email;

namespace AuthService.Admin;

/// <summary>The admin API's store and its invitation mail.</summary>
internal static class AdminRegistration
{
    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AdminUserStore>();
        builder.Services.AddOutboxMail<InvitationMail>();
        return builder;
    }
}
