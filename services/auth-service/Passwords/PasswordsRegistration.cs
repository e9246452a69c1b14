namespace AuthService.Passwords;

internal static class PasswordsRegistration
{
    /// <summary>The password policy, the bounded Argon2id hasher and the stored hashes.</summary>
    public static WebApplicationBuilder AddPasswords(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PasswordPolicy>().AddSingleton<Argon2id>().AddSingleton<CredentialStore>();
        return builder;
    }
}
