using System.Globalization;
using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Containers;

/// <summary>
/// What deploy/k8s/base/deployment.yaml asks of the container, so the container tests run the image the
/// way the cluster will: a read-only root, writable volumes only where it mounts them, and its grace
/// period between SIGTERM and SIGKILL.
/// </summary>
public static partial class DeploymentManifest
{
    private static readonly string Text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy/k8s/base/deployment.yaml"));

    public static bool ReadOnlyRootFilesystem => ReadOnlyRoot().IsMatch(Text);

    /// <summary>The container's volume mount paths (the manifest mounts only emptyDirs).</summary>
    public static string[] WritableMounts => [.. MountPath().Matches(Text).Select(m => m.Groups[1].Value)];

    public static TimeSpan TerminationGracePeriod =>
        TimeSpan.FromSeconds(int.Parse(GracePeriod().Match(Text).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^\s*terminationGracePeriodSeconds:\s*(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex GracePeriod();

    [GeneratedRegex(@"^\s*readOnlyRootFilesystem:\s*true\s*$", RegexOptions.Multiline)]
    private static partial Regex ReadOnlyRoot();

    [GeneratedRegex(@"^\s*mountPath:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex MountPath();
}
