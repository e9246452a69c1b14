namespace AuthService.Tests.Infrastructure;

/// <summary>One service instance and database per test class, with the settings a derived fixture names.</summary>
public abstract class SettingsFixture(IReadOnlyDictionary<string, string?> settings) : IAsyncLifetime
{
    public AuthServiceFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync() => Factory = await AuthServiceFactory.CreateAsync(settings);

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
