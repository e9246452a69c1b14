using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using AuthService.Passwords;
using AuthService.Tests.Infrastructure;
using AuthService.Tests.Passwords;

namespace AuthService.Tests.Http;

/// <summary>
/// The test host must run with the runtime configuration the service ships with, or the in-memory
/// tests prove nothing about the shipped build (InvariantGlobalization=true in the service once made
/// NFKC a no-op there while the test host normalized fine). The knobs live in Directory.Build.props.
/// The published service is a Native AOT executable: its settings are compiled in, so they are read
/// from what the AOT compiler was given (its response file, <c>--runtimeknob:</c>).
/// </summary>
public sealed class RuntimeConfigurationTests
{
    /// <summary>
    /// Settings the published executable may have and the test host not; none changes what the service's
    /// code computes. Any other difference, or a new setting, fails until it is reviewed here.
    /// </summary>
    private static readonly Dictionary<string, string> AllowedToDiffer = new(StringComparer.Ordinal)
    {
        // Hot reload is off in Release builds and on in the Debug test build: tooling only.
        ["System.Reflection.Metadata.MetadataUpdater.IsSupported"] = "hot reload",
        // The test platform's own switch (the test host only).
        ["MSTest.EnableParentProcessQuery"] = "test platform",
        // Native AOT itself: no code generation at run time. What needs it fails the build (IsAotCompatible,
        // Dapper.AOT's diagnostics as errors) and the PublishedBuild tests run the executable.
        ["System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported"] = "Native AOT",
        ["System.Linq.Expressions.CanEmitObjectArrayDelegate"] = "Native AOT",
        ["Microsoft.Extensions.DependencyInjection.VerifyOpenGenericServiceTrimmability"] = "Native AOT",
        ["RUNTIME_IDENTIFIER"] = "Native AOT",
        // The service's JSON goes through source-generated contexts only, in the test host too (its JsonOptions
        // hold no reflection-based resolver); the tests' own JSON uses reflection.
        ["System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault"] = "Native AOT",
        // On, as the JIT runtime has it by default (Native AOT's default is off): telemetry's event sources.
        ["System.Diagnostics.Tracing.EventSource.IsSupported"] = "default on",
        // Smaller code for LINQ in the executable; same results.
        ["System.Linq.Enumerable.IsSizeOptimized"] = "Native AOT",
        // Features the trimmer removes because the service uses none of them: COM, designers, data sets,
        // startup hooks, custom resource types, Objective-C pools, NTLM's managed fallback, HTTP/3 in outgoing
        // calls, and framework parts the service does not map (SignalR, MVC, Blazor).
        ["System.ComponentModel.DefaultValueAttribute.IsSupported"] = "trimmed feature",
        ["System.ComponentModel.Design.IDesignerHost.IsSupported"] = "trimmed feature",
        ["System.ComponentModel.TypeConverter.EnableUnsafeBinaryFormatterInDesigntimeLicenseContextSerialization"] = "trimmed feature",
        ["System.ComponentModel.TypeDescriptor.IsComObjectDescriptorSupported"] = "trimmed feature",
        ["System.Data.DataSet.XmlSerializationIsSupported"] = "trimmed feature",
        ["System.Net.Security.UseManagedNtlm"] = "trimmed feature",
        ["System.Net.SocketsHttpHandler.Http3Support"] = "trimmed feature",
        ["System.Resources.ResourceManager.AllowCustomResourceTypes"] = "trimmed feature",
        ["System.Resources.UseSystemResourceKeys"] = "trimmed feature",
        ["System.Runtime.InteropServices.BuiltInComInterop.IsSupported"] = "trimmed feature",
        ["System.Runtime.InteropServices.EnableConsumingManagedCodeFromNativeHosting"] = "trimmed feature",
        ["System.Runtime.InteropServices.EnableCppCLIHostActivation"] = "trimmed feature",
        ["System.Runtime.InteropServices.Marshalling.EnableGeneratedComInterfaceComImportInterop"] = "trimmed feature",
        ["System.Runtime.Serialization.EnableUnsafeBinaryFormatterSerialization"] = "trimmed feature",
        ["System.StartupHookProvider.IsSupported"] = "trimmed feature",
        ["System.Text.Encoding.EnableUnsafeUTF7Encoding"] = "trimmed feature",
        ["System.Threading.Thread.EnableAutoreleasePool"] = "trimmed feature",
        ["Microsoft.AspNetCore.SignalR.Hub.IsCustomAwaitableSupported"] = "trimmed feature",
        ["Microsoft.AspNetCore.Mvc.ApiExplorer.IsEnhancedModelMetadataSupported"] = "trimmed feature",
        ["Microsoft.AspNetCore.Components.Endpoints.NavigationManager.DisableThrowNavigationException"] = "trimmed feature",
    };

    /// <summary>MSBuild properties that land in the runtime configuration; only Directory.Build.props may set them.</summary>
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
        var published = CompiledInSettings(await PublishedService.PublishDirectoryAsync());
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
        Assert.Equal("false", published["System.GC.Server"], ignoreCase: true);
        Assert.Equal("0", published["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]);
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
    public async Task PublishedService_UnderTheInvariantModeVariable_StillNormalizesPasswords()
    {
        // The executable has globalization compiled in (System.Globalization.Invariant=false), so the variable that
        // would make NFKC a no-op in a JIT build cannot switch it off; the JIT test host refuses to start instead
        // (TestHost_NormalizesUnicode_AsTheServiceRequires, UnicodeNormalization.EnsureWorks).
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        await using var service = await PublishedService.StartAsync(database,
            new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" });
        using var http = new HttpClient { BaseAddress = service.BaseAddress };

        var email = await AuthClient.CreateVerifiedUserAsync(http, password: PublishedBuildNfkcTests.Precomposed);
        var signin = await http.PostAsJsonAsync("/auth/signin", new { email, password = PublishedBuildNfkcTests.Decomposed });

        Assert.Equal(HttpStatusCode.OK, signin.StatusCode);
    }

    /// <summary>
    /// The runtime settings compiled into the published executable: the <c>--runtimeknob:</c> lines of the
    /// response file the AOT compiler read for it, which must be no newer than the executable. It lies beside an
    /// executable copied out of the image (scripts/test.sh takes it from the image's build stage), else under
    /// obj/Release/…/native/ of a publish on this machine.
    /// </summary>
    private static Dictionary<string, string> CompiledInSettings(string publishDir)
    {
        var executable = new FileInfo(Path.Combine(publishDir, PublishedService.Executable));
        var beside = new FileInfo(Path.Combine(publishDir, "AuthService.ilc.rsp"));
        var responseFile = beside.Exists ? beside : new DirectoryInfo(Path.Combine(RepositoryRoot.Path, "services/auth-service/obj/Release"))
            .EnumerateFiles("AuthService.ilc.rsp", SearchOption.AllDirectories)
            .OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault();
        Assert.True(responseFile is not null, "No AOT compiler response file beside the executable or under services/auth-service/obj/Release.");
        Assert.True(responseFile.LastWriteTimeUtc <= executable.LastWriteTimeUtc,
            $"{responseFile.FullName} is newer than {executable.FullName}: publish again.");
        const string knob = "--runtimeknob:";
        return File.ReadLines(responseFile.FullName)
            .Where(l => l.StartsWith(knob, StringComparison.Ordinal))
            .Select(l => l[knob.Length..].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
    }

    private static Dictionary<string, string> ConfigProperties(string runtimeConfigPath)
    {
        var json = JsonNode.Parse(File.ReadAllText(runtimeConfigPath))!;
        var properties = json["runtimeOptions"]?["configProperties"]?.AsObject() ?? [];
        return properties.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal);
    }
}
