using System.Text.Json.Nodes;
using System.Xml.Linq;
using AuthService.Passwords;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Http;

/// <summary>
/// The test host must run with the runtime configuration the service ships with, or the in-memory
/// tests prove nothing about the shipped build (InvariantGlobalization=true in the service once made
/// NFKC a no-op there while the test host normalized fine). The knobs live in Directory.Build.props.
/// </summary>
public sealed class RuntimeConfigurationTests
{
    /// <summary>
    /// runtimeconfig properties allowed to differ between the published service and the test host;
    /// none changes what the code computes.
    /// </summary>
    private static readonly Dictionary<string, string> AllowedToDiffer = new(StringComparer.Ordinal)
    {
        // The Web SDK turns on server GC for the service; a test host with dozens of in-memory hosts
        // stays on workstation GC. Throughput and memory only; the image pins DOTNET_gcServer=0.
        ["System.GC.Server"] = "GC flavour",
        // Hot reload is off in Release builds and on in the Debug test build: tooling only.
        ["System.Reflection.Metadata.MetadataUpdater.IsSupported"] = "hot reload",
        // The test platform's own switch (the test host only).
        ["MSTest.EnableParentProcessQuery"] = "test platform",
    };

    /// <summary>MSBuild properties that land in runtimeconfig.json; only Directory.Build.props may set them.</summary>
    private static readonly string[] RuntimeConfigProperties =
    [
        "InvariantGlobalization", "PredefinedCulturesOnly", "UseSystemResourceKeys", "ServerGarbageCollection",
        "ConcurrentGarbageCollection", "RetainVMGarbageCollection", "TieredCompilation", "TieredPGO", "TieredCompilationQuickJitForLoops",
        "AutoreleasePoolSupport", "EventSourceSupport", "HttpActivityPropagationSupport", "UseNativeHttpHandler",
        "EnableUnsafeBinaryFormatterSerialization", "EnableUnsafeUTF7Encoding", "GenerateRuntimeConfigurationFiles", "ThreadPoolMinThreads",
        "ThreadPoolMaxThreads", "UseWindowsThreadPool", "MetadataUpdaterSupport", "NullabilityInfoContextSupport",
    ];

    [Fact]
    [Trait("Category", PublishedService.Category)]
    public async Task TestHost_RunsWithThePublishedServicesRuntimeConfiguration()
    {
        var published = ConfigProperties(Path.Combine(await PublishedService.PublishDirectoryAsync(), "AuthService.runtimeconfig.json"));
        var testHost = ConfigProperties(Path.Combine(AppContext.BaseDirectory, "AuthService.Tests.runtimeconfig.json"));

        var differences = new List<string>();
        foreach (var (key, value) in published.Where(p => !AllowedToDiffer.ContainsKey(p.Key)))
        {
            // What the running test host actually has, not only what its file says.
            var effective = AppContext.GetData(key)?.ToString();
            if (!string.Equals(effective, value, StringComparison.OrdinalIgnoreCase))
                differences.Add($"{key}: published {value}, test host {effective ?? "(unset)"}");
        }
        foreach (var (key, value) in testHost.Where(p => !AllowedToDiffer.ContainsKey(p.Key) && !published.ContainsKey(p.Key)))
            differences.Add($"{key}: published (unset), test host {value}");

        Assert.True(differences.Count == 0, "Runtime configuration differs: " + string.Join("; ", differences));
        Assert.Equal("false", published["System.Globalization.Invariant"], ignoreCase: true);
    }

    [Fact]
    public void TestHost_NormalizesUnicode_AsTheServiceRequires()
    {
        // Catches DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 in the test run's environment, which no
        // runtimeconfig.json shows.
        Assert.True(UnicodeNormalization.Works, "The test host runs in globalization-invariant mode.");
        Assert.Null(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"));
    }

    [Fact]
    public void RuntimeConfigurationKnobs_AreSetOnlyInDirectoryBuildProps()
    {
        var root = RepositoryRoot.Path;
        foreach (var project in new[] { "services/auth-service/AuthService.csproj", "services/auth-service.Tests/AuthService.Tests.csproj" })
        {
            var names = XDocument.Load(Path.Combine(root, project)).Descendants().Select(e => e.Name.LocalName).ToHashSet();
            Assert.True(!names.Overlaps(RuntimeConfigProperties),
                $"{project} sets {string.Join(", ", names.Intersect(RuntimeConfigProperties))}: move it to Directory.Build.props so service and tests share it.");
        }
        var props = XDocument.Load(Path.Combine(root, "Directory.Build.props"));
        Assert.Equal("false", props.Descendants("InvariantGlobalization").Single().Value);
    }

    [Fact]
    [Trait("Category", PublishedService.Category)]
    public async Task PublishedService_InInvariantMode_RefusesToStartNamingTheCause()
    {
        var environment = PublishedService.ProductionEnvironment("Host=127.0.0.1;Port=1;Database=unused;Timeout=1", FreePort.Next());
        environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";

        var (exitCode, output) = await PublishedService.RunUntilExitAsync(environment, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Unicode normalization (NFKC) does not work", output);
        Assert.Contains("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", output);
    }

    private static Dictionary<string, string> ConfigProperties(string runtimeConfigPath)
    {
        var json = JsonNode.Parse(File.ReadAllText(runtimeConfigPath))!;
        var properties = json["runtimeOptions"]?["configProperties"]?.AsObject() ?? [];
        return properties.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal);
    }
}
