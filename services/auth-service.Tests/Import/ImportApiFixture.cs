using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Import;

/// <summary>The service for the import endpoint's tests: one database of their own, so counts of imported users are theirs alone.</summary>
public sealed class ImportApiFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;

    public AuthClient NewClient() => new(Factory);

    public async Task InitializeAsync() => Factory = await AuthServiceFactory.CreateAsync();

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
