using System.Security.Claims;
using AuthService.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace AuthService.Tests.Import;

/// <summary>
/// The service with one test-only change: a signed-in user whose email starts with <see cref="AdminPrefix"/> gets the
/// <c>roles: admin</c> claim (this branch's access tokens carry no roles yet). The endpoint's own role policy still runs:
/// any other user is refused.
/// </summary>
public sealed class ImportApiFixture : IAsyncLifetime
{
    public const string AdminPrefix = "import-admin-";

    public AuthServiceFactory Factory { get; private set; } = null!;

    public AuthClient NewClient() => new(Factory);

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        Factory = await new AuthServiceFactory(await server.CreateDatabaseAsync())
        {
            ConfigureServices = services => services.AddSingleton<IClaimsTransformation, AdminByEmail>(),
        }.StartAsync();
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    private sealed class AdminByEmail : IClaimsTransformation
    {
        public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
        {
            if (principal.FindFirst("email")?.Value.StartsWith(AdminPrefix, StringComparison.Ordinal) == true && !principal.HasClaim("roles", "admin"))
                principal.AddIdentity(new ClaimsIdentity([new Claim("roles", "admin")]));
            return Task.FromResult(principal);
        }
    }
}
