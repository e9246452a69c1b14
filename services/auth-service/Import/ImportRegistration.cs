namespace AuthService.Import;

internal static class ImportRegistration
{
    /// <summary>The user importer behind the <c>import-users</c> command and <c>POST /admin/users/import</c>.</summary>
    public static WebApplicationBuilder AddImport(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserImporter>();
        return builder;
    }
}
