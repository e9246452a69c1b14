using System.Diagnostics;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// The Docker engine the Container tests need, asked once per run (<c>docker version</c>). Without one
/// those tests are skipped with the reason, and the rest of the suite runs; <c>make test</c> starts an
/// engine in CI (scripts/docker-engine.sh) and builds the images first (scripts/container-images.sh,
/// <c>make image</c>). Tests using it carry <c>[Trait("Category", DockerEngine.Category)]</c>.
/// </summary>
public static class DockerEngine
{
    public const string Category = "Container";

    private static readonly Lazy<string?> ServerVersion = new(AskServerVersion);

    /// <summary>The service image under test: <c>AUTH_TEST_IMAGE</c>, else what <c>make image</c> tags latest.</summary>
    public static string ServiceImage => Environment.GetEnvironmentVariable("AUTH_TEST_IMAGE") is { Length: > 0 } image ? image : "auth-service:latest";

    /// <summary>The PostgreSQL image for containers: <c>AUTH_TEST_POSTGRES_IMAGE</c>, else the one docker-compose.yml names.</summary>
    public static string PostgresImage => Environment.GetEnvironmentVariable("AUTH_TEST_POSTGRES_IMAGE") is { Length: > 0 } image ? image : "postgres:15";

    public static bool IsAvailable => ServerVersion.Value is not null;

    public static string SkipReason =>
        "No Docker engine answers `docker version`: the Container tests are skipped. `make test` starts one when CI=true or AUTH_TEST_START_DOCKER=1.";

    private static string? AskServerVersion()
    {
        try
        {
            var psi = new ProcessStartInfo("docker", ["version", "--format", "{{.Server.Version}}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(psi)!;
            var version = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(TimeSpan.FromSeconds(15))) { process.Kill(); return null; }
            return process.ExitCode == 0 && version.Length > 0 ? version : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no docker client on PATH
        }
    }
}
