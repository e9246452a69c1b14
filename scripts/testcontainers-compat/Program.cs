using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using AuthService.Testing;

// Binary compatibility, which compiling against a version does not prove: every type and member the module
// references in Testcontainers must exist with the signature it was compiled against (else MissingMethodException
// at the first call), every override must still override, and building a container must run.
var module = typeof(AuthServiceBuilder).Assembly;
var testcontainers = typeof(DotNet.Testcontainers.Containers.IContainer).Assembly.GetName();
var problems = new List<string>();

using (var pe = new PEReader(File.OpenRead(module.Location)))
{
    var md = pe.GetMetadataReader();
    var checkedReferences = 0;
    foreach (var handle in md.TypeReferences)
    {
        if (!FromTestcontainers(md, handle)) continue;
        checkedReferences++;
        Try(() => module.ManifestModule.ResolveType(MetadataTokens.GetToken(handle)), md.GetString(md.GetTypeReference(handle).Name));
    }
    foreach (var handle in md.MemberReferences)
    {
        var reference = md.GetMemberReference(handle);
        if (!FromTestcontainers(md, reference.Parent)) continue;
        checkedReferences++;
        Try(() => module.ManifestModule.ResolveMember(MetadataTokens.GetToken(handle)), md.GetString(reference.Name));
    }
    Console.WriteLine($"{checkedReferences} references into Testcontainers checked");
}

foreach (var type in module.GetTypes())
{
    const BindingFlags declared = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
    foreach (var method in type.GetMethods(declared))
    {
        // Compiled as an override (virtual, no new slot) but the base no longer has that signature: a silent new method.
        var compiledAsOverride = method.IsVirtual && (method.Attributes & MethodAttributes.NewSlot) == 0;
        if (compiledAsOverride && method.GetBaseDefinition() == method)
            problems.Add($"{type.Name}.{method.Name} overrides nothing");
    }
}

// Every builder method the module adds, then Build, which 4.x only finishes where it reaches a Docker engine it
// supports (it pings the engine in Validate); starting a container is the container tests' business.
AuthServiceBuilder? builder = null;
Try(() => builder = new AuthServiceBuilder().WithAudience("orders").WithPostgreSqlImage("postgres:15"), "AuthServiceBuilder");
try
{
    var container = builder?.Build();
    container?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
catch (Exception e) when (e.GetType().Name == "DockerUnavailableException") // 4.x only
{
    Console.WriteLine("AuthServiceBuilder.Build not run: this Testcontainers version reaches no Docker engine it supports here.");
}

Console.WriteLine($"AuthService.Testing {module.GetName().Version} on Testcontainers {testcontainers.Version}: {(problems.Count == 0 ? "compatible" : "INCOMPATIBLE")}");
problems.ForEach(problem => Console.WriteLine("  " + problem));
return problems.Count == 0 ? 0 : 1;

void Try(Func<object?> action, string what)
{
    try { action(); }
    catch (Exception e) when (e is MemberAccessException or TypeLoadException or ArgumentException or InvalidOperationException or BadImageFormatException)
    {
        problems.Add($"{what}: {e.GetType().Name}: {e.Message}");
    }
}

static bool FromTestcontainers(MetadataReader md, EntityHandle parent)
{
    switch (parent.Kind)
    {
        case HandleKind.TypeReference:
            var type = md.GetTypeReference((TypeReferenceHandle)parent);
            return type.ResolutionScope.Kind switch
            {
                HandleKind.AssemblyReference => IsTestcontainers(md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name)),
                HandleKind.TypeReference => FromTestcontainers(md, type.ResolutionScope), // a nested type
                _ => false,
            };
        case HandleKind.TypeSpecification:
            // A generic instantiation: the generic type decides (ContainerBuilder<AuthServiceBuilder, …>).
            var signature = md.GetBlobReader(md.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
            if (signature.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return false;
            signature.ReadSignatureTypeCode(); // class or value type
            return FromTestcontainers(md, signature.ReadTypeHandle());
        default:
            return false;
    }
}

static bool IsTestcontainers(string assembly) => assembly.StartsWith("Testcontainers", StringComparison.Ordinal) || assembly.StartsWith("Docker.DotNet", StringComparison.Ordinal);
