using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using AuthService.Audit;

namespace AuthService.Tests.Data;

/// <summary>
/// Every Dapper call of the service is replaced at compile time by Dapper.AOT's generated code (DapperAot.cs), since
/// Dapper's own run-time IL emission fails in a Native AOT build. A replaced call no longer references Dapper's
/// <c>SqlMapper</c> in the compiled assembly, so a reference left there is a call site left on run-time Dapper, also one
/// the build's Dapper.AOT diagnostics (DapperAot.globalconfig) do not name, such as one the generator skips without a word.
/// </summary>
public sealed class DapperInterceptionTests
{
    /// <summary>What the generated code itself calls: arrays go to Npgsql as array parameters through this.</summary>
    private static readonly string[] UsedByGeneratedCode = ["PackListParameters"];

    [Fact]
    public void ServiceAssembly_CallsNoRuntimeDapperMethod()
    {
        using var pe = new PEReader(File.OpenRead(typeof(AuditLog).Assembly.Location));
        var md = pe.GetMetadataReader();
        var left = new List<string>();
        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference || !IsSqlMapper(md, (TypeReferenceHandle)member.Parent)) continue;
            var name = md.GetString(member.Name);
            if (!UsedByGeneratedCode.Contains(name, StringComparer.Ordinal)) left.Add(name);
        }
        Assert.Empty(left);
    }

    [Fact]
    public void Check_FindsRuntimeDapperCalls_InAnAssemblyThatHasThem()
    {
        // The tests' own queries are plain Dapper on purpose: the check must see them.
        using var pe = new PEReader(File.OpenRead(typeof(DapperInterceptionTests).Assembly.Location));
        var md = pe.GetMetadataReader();
        Assert.Contains(md.MemberReferences, h =>
            md.GetMemberReference(h) is var m && m.Parent.Kind == HandleKind.TypeReference && IsSqlMapper(md, (TypeReferenceHandle)m.Parent));
    }

    /// <summary><c>Dapper.SqlMapper</c> or a type nested in it (its grid reader, its type handlers).</summary>
    private static bool IsSqlMapper(MetadataReader md, TypeReferenceHandle handle)
    {
        var type = md.GetTypeReference(handle);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference) return IsSqlMapper(md, (TypeReferenceHandle)type.ResolutionScope);
        return md.GetString(type.Namespace) == "Dapper" && md.GetString(type.Name) == "SqlMapper";
    }
}
