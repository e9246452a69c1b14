namespace AuthService.Tests.Infrastructure;

/// <summary>One service instance and database per test class (xunit class fixture).</summary>
public sealed class AuthServiceFixture : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;

    public AuthClient NewClient() => new(Factory);

    public async Task InitializeAsync() => Factory = await AuthServiceFactory.CreateAsync();

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
