using System.Net.Http.Json;
using System.Text.Json;
using AuthService.Tests.Infrastructure;
using Dapper;

namespace AuthService.Tests.Admin;

/// <summary>An admin (granted in the database, then signed in) and the calls the admin tests make.</summary>
public sealed class AdminKit(AuthServiceFactory factory)
{
    public AuthClient Client { get; } = new(factory);

    public async Task<(string Email, Guid Id, SignedIn SignedIn)> UserAsync(params string[] roles)
    {
        var email = await Client.CreateVerifiedUserAsync();
        await using (var conn = Client.OpenDatabase())
            await conn.ExecuteAsync("UPDATE users SET roles = @roles WHERE email = @email", new { roles, email });
        var signedIn = await Client.SigninAsync(email);
        return (email, Guid.Parse(signedIn.Body.GetProperty("user").GetProperty("id").GetString()!), signedIn);
    }

    public Task<(string Email, Guid Id, SignedIn SignedIn)> AdminAsync() => UserAsync("admin");

    public Task<HttpResponseMessage> SendAsync(SignedIn caller, HttpMethod method, string path, object? body = null) =>
        Client.SendWithBearerAsync(method, path, caller.AccessToken, body);

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();
}
