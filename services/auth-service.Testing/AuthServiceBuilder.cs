using System.Data.Common;
using System.Net;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Networks;
using Testcontainers.PostgreSql;

namespace AuthService.Testing;

/// <summary>
/// Builds an <see cref="AuthServiceContainer" />: auth-service configured for tests (Development, dev mailbox on,
/// mail throttle off) beside its own PostgreSQL on a Docker network of its own, ready once <c>GET /readyz</c> answers 200.
/// </summary>
/// <remarks>
/// The service's issuer is <c>http://{Hostname}:{mapped port}</c>, the address the test process reaches it at, so the
/// tokens' <c>iss</c>, the discovery document and the JWKS URL all point where a JwtBearer host in the test can follow.
/// The mapped port is only known once the container runs, so the image's entry point is wrapped: the service starts
/// when the module has written the issuer into the container (the image needs <c>/bin/sh</c>).
/// </remarks>
public sealed class AuthServiceBuilder : ContainerBuilder<AuthServiceBuilder, AuthServiceContainer, AuthServiceConfiguration>
{
    /// <summary>The service image used unless another is given: what the repository's <c>make image</c> tags latest.</summary>
    public const string AuthServiceImage = "auth-service:latest";

    /// <summary>The PostgreSQL image of the database the builder creates unless another is given.</summary>
    public const string PostgreSqlImage = "postgres:15";

    /// <summary>The port the service listens on inside the container.</summary>
    public const ushort AuthServicePort = 8080;

    /// <summary>The service's name on the Docker network, for other containers there.</summary>
    public const string AuthServiceNetworkAlias = "auth-service";

    /// <summary>The audience the service puts into its access tokens unless another is given (its own default).</summary>
    public const string DefaultAudience = "api";

    /// <summary>The database the builder's own PostgreSQL creates for the service.</summary>
    public const string DefaultDatabase = "auth_service";

    // Written by the startup callback (as the image's user, hence /tmp); the wrapped entry point waits for it.
    private const string IssuerFilePath = "/tmp/testcontainers-auth-service-issuer.sh";

    /// <summary>Initializes a new instance of the <see cref="AuthServiceBuilder" /> class with <see cref="AuthServiceImage" />.</summary>
    public AuthServiceBuilder()
        : this(AuthServiceImage)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthServiceBuilder" /> class.</summary>
    /// <param name="image">The full image name of auth-service, repository and tag (e.g. <c>registry.example.com/auth-service:1.1.0</c>).</param>
    public AuthServiceBuilder(string image)
        : this(new AuthServiceConfiguration())
    {
        DockerResourceConfiguration = Init().WithImage(image).DockerResourceConfiguration;
    }

    private AuthServiceBuilder(AuthServiceConfiguration resourceConfiguration)
        : base(resourceConfiguration)
    {
        DockerResourceConfiguration = resourceConfiguration;
    }

    /// <inheritdoc />
    protected override AuthServiceConfiguration DockerResourceConfiguration { get; }

    /// <summary>Sets the audience the service puts into its access tokens (<c>Auth:Audience</c>).</summary>
    /// <param name="audience">The audience, e.g. <c>api</c>.</param>
    /// <returns>A configured instance of <see cref="AuthServiceBuilder" />.</returns>
    public AuthServiceBuilder WithAudience(string audience)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        return Merge(DockerResourceConfiguration, new AuthServiceConfiguration(audience: audience))
            .WithEnvironment("Auth__Audience", audience);
    }

    /// <summary>Sets the image of the PostgreSQL container the builder creates when it is given no database.</summary>
    /// <param name="image">The full image name, e.g. <c>postgres:16</c>.</param>
    /// <returns>A configured instance of <see cref="AuthServiceBuilder" />.</returns>
    public AuthServiceBuilder WithPostgreSqlImage(string image)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        return Merge(DockerResourceConfiguration, new AuthServiceConfiguration(postgreSqlImage: image));
    }

    /// <summary>
    /// Runs the service against a PostgreSQL container the caller owns (and disposes) instead of one of its own.
    /// The service joins <paramref name="network" />, where the database must answer at <paramref name="networkAlias" />.
    /// </summary>
    /// <param name="network">The network both containers are on.</param>
    /// <param name="container">The PostgreSQL container; it is started first if it is not running yet.</param>
    /// <param name="networkAlias">The database's alias on <paramref name="network" />.</param>
    /// <param name="database">The database the service migrates and uses (it must exist).</param>
    /// <param name="username">A role that owns <paramref name="database" />.</param>
    /// <param name="password">That role's password.</param>
    /// <returns>A configured instance of <see cref="AuthServiceBuilder" />.</returns>
    public AuthServiceBuilder WithPostgreSqlContainer(
        INetwork network,
        PostgreSqlContainer container,
        string networkAlias,
        string database = PostgreSqlBuilder.DefaultDatabase,
        string username = PostgreSqlBuilder.DefaultUsername,
        string password = PostgreSqlBuilder.DefaultPassword)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(networkAlias);
        var connectionString = new DbConnectionStringBuilder
        {
            ["Host"] = networkAlias,
            ["Port"] = PostgreSqlBuilder.PostgreSqlPort,
            ["Database"] = database,
            ["Username"] = username,
            ["Password"] = password,
        }.ConnectionString;
        var builder = Merge(DockerResourceConfiguration, new AuthServiceConfiguration(databaseConnectionString: connectionString))
            .DependsOn(container)
            .WithEnvironment("ConnectionStrings__Postgres", connectionString);
        // Joined once: a network listed twice fails the container's creation.
        var joined = DockerResourceConfiguration.Networks?.Contains(network) ?? false;
        return joined ? builder : builder.WithNetwork(network);
    }

    /// <inheritdoc />
    public override AuthServiceContainer Build()
    {
        Validate();
        if (DockerResourceConfiguration.DatabaseConnectionString is not null)
            return new AuthServiceContainer(DockerResourceConfiguration);

        // No database given: one of our own, on the caller's network if WithNetwork named one, else on a new one.
        // The container disposes what is created here.
        var callersNetwork = DockerResourceConfiguration.Networks?.FirstOrDefault();
        var ownNetwork = callersNetwork is null ? new NetworkBuilder().Build() : null;
        var network = callersNetwork ?? ownNetwork!;
        // Unique, so two services on one caller's network never share a name (Docker would round-robin between them).
        var alias = "auth-db-" + Guid.NewGuid().ToString("N")[..12];
#pragma warning disable CS0618 // 4.x prefers new PostgreSqlBuilder(image), which 3.10 lacks; this form compiles against both.
        var postgres = new PostgreSqlBuilder()
#pragma warning restore CS0618
            .WithImage(DockerResourceConfiguration.PostgreSqlImage ?? PostgreSqlImage)
            .WithNetwork(network)
            .WithNetworkAliases(alias)
            .WithDatabase(DefaultDatabase)
            .WithLogger(DockerResourceConfiguration.Logger)
            .Build();
        var builder = WithPostgreSqlContainer(network, postgres, alias, DefaultDatabase);
        return new AuthServiceContainer(builder.DockerResourceConfiguration, postgres, ownNetwork);
    }

    /// <summary>
    /// Starts the service in the image's working directory: the native executable of current images,
    /// the assembly under the dotnet host of images built before the service became one, so this module runs either.
    /// </summary>
    private const string StartService = "if [ -x ./AuthService ]; then exec ./AuthService; else exec dotnet AuthService.dll; fi";

    /// <inheritdoc />
    protected override AuthServiceBuilder Init()
    {
        return base.Init()
            .WithPortBinding(AuthServicePort, true)
            .WithNetworkAliases(AuthServiceNetworkAlias)
            // Development: no key-encryption key needed, the refresh cookie works over http; the dev mailbox and
            // the throttle are spelled out anyway, so a caller who switches the environment keeps them.
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
            .WithEnvironment("DevEndpoints__Enabled", "true")
            .WithEnvironment("Email__MinIntervalPerAddress", "00:00:00")
            .WithAudience(DefaultAudience)
            .WithEntrypoint("/bin/sh", "-c")
            .WithCommand($"while [ ! -f {IssuerFilePath} ]; do sleep 0.1; done; . {IssuerFilePath}; {StartService}")
            .WithStartupCallback(async (container, ct) =>
            {
                // Exec rather than CopyAsync, whose parameters differ between 3.x and 4.x (the package runs on both);
                // written under another name and renamed, so the entry point never reads half a file.
                var script = $"export Auth__Issuer='{container.GetIssuer()}'";
                var written = await container.ExecAsync(
                    ["/bin/sh", "-c", $"printf '%s\\n' \"$0\" > {IssuerFilePath}.tmp && mv {IssuerFilePath}.tmp {IssuerFilePath}", script], ct)
                    .ConfigureAwait(false);
                if (written.Stderr is { Length: > 0 } error)
                    throw new InvalidOperationException($"Could not hand the issuer to the auth-service container: {error}");
            })
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(
                request => request.ForPort(AuthServicePort).ForPath("/readyz").ForStatusCode(HttpStatusCode.OK),
                wait => wait.WithTimeout(TimeSpan.FromMinutes(1))));
    }

    /// <inheritdoc />
    protected override AuthServiceBuilder Clone(IResourceConfiguration<CreateContainerParameters> resourceConfiguration)
    {
        return Merge(DockerResourceConfiguration, new AuthServiceConfiguration(resourceConfiguration));
    }

    /// <inheritdoc />
    protected override AuthServiceBuilder Clone(IContainerConfiguration resourceConfiguration)
    {
        return Merge(DockerResourceConfiguration, new AuthServiceConfiguration(resourceConfiguration));
    }

    /// <inheritdoc />
    protected override AuthServiceBuilder Merge(AuthServiceConfiguration oldValue, AuthServiceConfiguration newValue)
    {
        return new AuthServiceBuilder(new AuthServiceConfiguration(oldValue, newValue));
    }
}
