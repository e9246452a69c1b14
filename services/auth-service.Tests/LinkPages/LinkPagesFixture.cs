using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.LinkPages;

/// <summary>The service with <c>Auth:AppBaseUrl</c> left unset, so the mailed links lead to the service itself.</summary>
public sealed class LinkPagesFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;

    public AuthClient NewClient() => new(Factory);

    public async Task InitializeAsync() => Factory = await AuthServiceFactory.CreateAsync(new Dictionary<string, string?> { ["Auth:AppBaseUrl"] = "" });

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
