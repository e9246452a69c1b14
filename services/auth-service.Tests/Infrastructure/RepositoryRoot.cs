namespace AuthService.Tests.Infrastructure;

/// <summary>The repository's top folder (where auth-service.slnx is), for tests that read or write committed files.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "auth-service.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No auth-service.slnx above {AppContext.BaseDirectory}.");
    }
}
