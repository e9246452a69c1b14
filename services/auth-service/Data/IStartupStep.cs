namespace AuthService.Data;

/// <summary>
/// Work a feature needs done once the database is migrated and before the service takes requests
/// (e.g. Tokens: the first signing key and the key ring). Registered by the feature; run in order of
/// registration by <see cref="DatabaseInitializer"/>, inside its wait-for-the-database retry.
/// </summary>
public interface IStartupStep
{
    Task RunAsync(CancellationToken ct);
}
