using System.Globalization;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Configurations;

namespace AuthService.Tests.Containers;

/// <summary>
/// The Docker API as <c>docker inspect</c> sees it, through the endpoint Testcontainers found: its
/// container objects cache their inspection from the last start or stop, and health and exit state
/// change in between.
/// </summary>
public static partial class DockerApi
{
    private static readonly Lazy<DockerClient> Client = new(() =>
        TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientConfiguration(Guid.NewGuid()).CreateClient());

    public static Task<ContainerInspectResponse> InspectAsync(string containerId) =>
        Client.Value.Containers.InspectContainerAsync(containerId);

    public static Task<ImageInspectResponse> InspectImageAsync(string image) =>
        Client.Value.Images.InspectImageAsync(image);

    /// <summary>A timestamp of the API (RFC 3339 with nanoseconds; .NET parses at most 7 fraction digits).</summary>
    public static DateTimeOffset ParseTime(string value) =>
        DateTimeOffset.Parse(NanosecondDigits().Replace(value, "$1"), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex NanosecondDigits();
}
