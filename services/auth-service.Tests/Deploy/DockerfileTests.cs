using System.Text.RegularExpressions;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Deploy;

/// <summary>
/// The image definition, checked statically so that it is checked without a Docker engine too (the
/// built image is run by the Container tests, Containers/, where an engine answers): a multi-stage build
/// whose build stage has the C toolchain Native AOT links with and whose runtime stage is the runtime-deps image
/// with ICU (never invariant globalization, no .NET runtime: the service is a native executable) and no libsodium
/// package (the app carries its own, from NuGet), a locked restore from the central package files,
/// a non-root user, the two ports the app listens on (the API, and /metrics when enabled), a health check, and an entrypoint
/// that runs the published executable.
/// </summary>
[Trait("Category", "Deploy")]
public sealed partial class DockerfileTests
{
    private static readonly string Root = RepositoryRoot.Path;
    private static readonly string[] Lines = Instructions(File.ReadAllText(Path.Combine(Root, "services/auth-service/Dockerfile")));

    private const string RuntimeDeps = "FROM mcr.microsoft.com/dotnet/runtime-deps:";

    private static string[] RuntimeStage => Lines.SkipWhile(l => !l.StartsWith(RuntimeDeps, StringComparison.Ordinal)).ToArray();

    private static string[] BuildStage => Lines.TakeWhile(l => !l.StartsWith(RuntimeDeps, StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Dockerfile_IsMultiStage_SdkBuildsAndRuntimeDepsRuns()
    {
        var froms = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, froms.Length);
        Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/sdk:10\.0 AS build$", froms[0]);
        Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/runtime-deps:10\.0( AS \w+)?$", froms[1]);
        Assert.Contains(Lines, l => l.StartsWith("RUN dotnet publish services/auth-service/AuthService.csproj", StringComparison.Ordinal));
        Assert.Contains(RuntimeStage, l => l.StartsWith("COPY --from=build /app", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildStage_InstallsTheNativeToolchain_BeforePublishing()
    {
        // PublishAot links the executable with clang against zlib; the SDK image carries neither.
        var install = Array.FindIndex(BuildStage, l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("apt-get install"));
        Assert.True(install >= 0, "the build stage installs no packages");
        Assert.Contains(" clang", BuildStage[install]);
        Assert.Contains(" zlib1g-dev", BuildStage[install]);
        Assert.InRange(install, 0, Array.FindIndex(BuildStage, l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal)) - 1);
    }

    [Fact]
    public void RuntimeStage_InstallsNoLibsodium_ButCurlForTheHealthCheck()
    {
        // Argon2id's libsodium is published with the app (runtimes/<rid>/native/, the libsodium NuGet package).
        Assert.DoesNotContain(Lines, l => l.Contains("libsodium", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(RuntimeStage, l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains("apt-get install") && l.Contains(" curl"));
    }

    [Fact]
    public void BuildStage_CopiesPackageFilesAndLockFile_ThenRestoresLocked()
    {
        // Versions live in Directory.Packages.props, the resolved graph in packages.lock.json, the SDK band
        // in global.json: all must be in the build context before the restore, which must not re-resolve.
        var restore = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet restore ", StringComparison.Ordinal));
        Assert.True(restore >= 0, "no RUN dotnet restore");
        Assert.Contains("--locked-mode", Lines[restore]);
        var copied = Lines.Take(restore).Where(l => l.StartsWith("COPY ", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ').Skip(1).SkipLast(1)).ToArray();
        foreach (var file in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props",
                     "services/auth-service/AuthService.csproj", "services/auth-service/packages.lock.json" })
        {
            Assert.Contains(file, copied);
            Assert.True(File.Exists(Path.Combine(Root, file)), $"{file} is copied but missing from the repository");
        }
        var publish = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal));
        Assert.InRange(restore, 0, publish - 1);
        Assert.Contains("--no-restore", Lines[publish]);
    }

    [Fact]
    public void RuntimeStage_HasIcu_AndNeverRunsInvariantGlobalization()
    {
        // The service normalizes passwords with ICU (Directory.Build.props: InvariantGlobalization=false).
        // runtime-deps:10.0 / 10.0-noble are Ubuntu with libicu; chiseled (non-extra) and Alpine images have no
        // ICU and switch invariant mode on, which would turn NFKC into a no-op.
        var from = RuntimeStage[0];
        var tag = from[RuntimeDeps.Length..].Split(' ')[0];
        Assert.Contains(tag, new[] { "10.0", "10.0-noble" });
        Assert.DoesNotContain(Lines, l => l.Contains("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(Lines, l => l.Contains("InvariantGlobalization", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void BuildStage_CopiesDirectoryBuildProps_BeforePublishing()
    {
        // The runtime configuration lives there; without it the image's executable would be compiled with other settings than the tested one.
        var copy = Array.FindIndex(Lines, l => l.StartsWith("COPY ", StringComparison.Ordinal) && l.Split(' ').Contains("Directory.Build.props"));
        var publish = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet publish ", StringComparison.Ordinal));
        Assert.InRange(copy, 0, publish - 1);
    }

    [Fact]
    public void RuntimeStage_RunsAsNonRootUser()
    {
        var user = RuntimeStage.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..].Trim();
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.False(user.StartsWith("0:", StringComparison.Ordinal));
        // USER must come after the last RUN that needs root (apt-get).
        Assert.True(Array.FindLastIndex(RuntimeStage, l => l.StartsWith("USER ", StringComparison.Ordinal))
            > Array.FindLastIndex(RuntimeStage, l => l.Contains("apt-get")));
    }

    [Fact]
    public void RuntimeStage_ExposesExactlyTheApiPortAndTheMetricsPort()
    {
        var exposed = RuntimeStage.Where(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).ToArray();
        Assert.Equal("EXPOSE 8080 9464", Assert.Single(exposed));
        Assert.Contains(RuntimeStage, l => l.StartsWith("ENV ", StringComparison.Ordinal) && l.Contains("ASPNETCORE_HTTP_PORTS=8080"));
        // 9464 is where the service serves /metrics by default (appsettings.json), never the API's port.
        using var settings = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "services/auth-service/appsettings.json")));
        Assert.Equal(9464, settings.RootElement.GetProperty("Telemetry").GetProperty("PrometheusEndpoint").GetProperty("Port").GetInt32());
    }

    [Fact]
    public void RuntimeStage_HasHealthCheckOnHealthz()
    {
        var check = Assert.Single(RuntimeStage, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal));
        Assert.Contains("http://localhost:8080/healthz", check);
    }

    [Fact]
    public void Entrypoint_RunsThePublishedExecutable()
    {
        var entrypoint = Assert.Single(RuntimeStage, l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        Assert.Equal($$"""ENTRYPOINT ["./{{PublishedService.Executable}}"]""", entrypoint);
        Assert.Equal("WORKDIR /app", RuntimeStage.Last(l => l.StartsWith("WORKDIR ", StringComparison.Ordinal)));
        var csproj = File.ReadAllText(Path.Combine(Root, "services/auth-service/AuthService.csproj"));
        Assert.Contains("<AssemblyName>AuthService</AssemblyName>", csproj);
        Assert.Contains("<PublishAot>true</PublishAot>", csproj);
    }

    /// <summary>Joins continuation lines and drops comments, so each entry is one instruction.</summary>
    private static string[] Instructions(string dockerfile)
    {
        var joined = ContinuationRegex().Replace(dockerfile, " ");
        return joined.Split('\n').Select(l => WhitespaceRegex().Replace(l.Trim(), " "))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
    }

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex ContinuationRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();
}
