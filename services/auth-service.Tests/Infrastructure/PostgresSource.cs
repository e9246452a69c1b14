namespace AuthService.Tests.Infrastructure;

/// <summary>Where a <see cref="PostgresServer"/> comes from (see there for how a run picks one).</summary>
public enum PostgresSource
{
    /// <summary>A throwaway cluster from the machine's PostgreSQL binaries (<see cref="LocalPostgresCluster"/>).</summary>
    Local,

    /// <summary>A throwaway container from Testcontainers (<see cref="PostgresContainer"/>).</summary>
    Container,

    /// <summary>An existing server named by <c>AUTH_TEST_DATABASE_URL</c>; the tests only create databases on it.</summary>
    External,
}
