using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;

namespace AuthService.Testing;

/// <summary>The configuration of an <see cref="AuthServiceContainer" />: the container's own settings plus the module's.</summary>
public sealed class AuthServiceConfiguration : ContainerConfiguration
{
    /// <summary>Initializes a new instance of the <see cref="AuthServiceConfiguration" /> class.</summary>
    /// <param name="audience">The audience the service puts into its access tokens (<c>Auth:Audience</c>).</param>
    /// <param name="postgreSqlImage">The image of the PostgreSQL container the builder creates when it is given none.</param>
    /// <param name="databaseConnectionString">The service's connection string to a database the caller provides (as seen from inside the network).</param>
    public AuthServiceConfiguration(string? audience = null, string? postgreSqlImage = null, string? databaseConnectionString = null)
        : base(EmptyContainerConfiguration())
    {
        Audience = audience;
        PostgreSqlImage = postgreSqlImage;
        DatabaseConnectionString = databaseConnectionString;
    }

    /// <summary>Initializes a new instance of the <see cref="AuthServiceConfiguration" /> class.</summary>
    /// <param name="resourceConfiguration">The Docker resource configuration.</param>
    public AuthServiceConfiguration(IResourceConfiguration<CreateContainerParameters> resourceConfiguration)
        : base(resourceConfiguration)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthServiceConfiguration" /> class.</summary>
    /// <param name="resourceConfiguration">The Docker resource configuration.</param>
    public AuthServiceConfiguration(IContainerConfiguration resourceConfiguration)
        : base(resourceConfiguration)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthServiceConfiguration" /> class.</summary>
    /// <param name="resourceConfiguration">The Docker resource configuration.</param>
    public AuthServiceConfiguration(AuthServiceConfiguration resourceConfiguration)
        : this(new AuthServiceConfiguration(), resourceConfiguration)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuthServiceConfiguration" /> class.</summary>
    /// <param name="oldValue">The old Docker resource configuration.</param>
    /// <param name="newValue">The new Docker resource configuration.</param>
    public AuthServiceConfiguration(AuthServiceConfiguration oldValue, AuthServiceConfiguration newValue)
        : base(oldValue, newValue)
    {
        Audience = BuildConfiguration.Combine(oldValue.Audience, newValue.Audience);
        PostgreSqlImage = BuildConfiguration.Combine(oldValue.PostgreSqlImage, newValue.PostgreSqlImage);
        DatabaseConnectionString = BuildConfiguration.Combine(oldValue.DatabaseConnectionString, newValue.DatabaseConnectionString);
    }

    // The empty configuration's constructor takes only optional parameters, and their list differs between Testcontainers
    // 3.x and 4.x: a call compiled against one is a MissingMethodException on the other, so it is found at run time.
    private static ContainerConfiguration EmptyContainerConfiguration()
    {
        var constructor = typeof(ContainerConfiguration).GetConstructors().Single(c => c.GetParameters().All(p => p.IsOptional));
        return (ContainerConfiguration)constructor.Invoke([.. constructor.GetParameters().Select(p => p.DefaultValue)]);
    }

    /// <summary>Gets the audience the service puts into its access tokens (<c>Auth:Audience</c>).</summary>
    public string? Audience { get; }

    /// <summary>Gets the image of the PostgreSQL container the builder creates when it is given no database.</summary>
    public string? PostgreSqlImage { get; }

    /// <summary>Gets the service's connection string to a database the caller provides; <c>null</c> when the builder creates one.</summary>
    public string? DatabaseConnectionString { get; }
}
