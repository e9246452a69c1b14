using Microsoft.Playwright;

namespace AuthService.Tests.Infrastructure;

/// <summary>Screenshots the browser tests leave for people to look at, under services/auth-service.Tests/TestResults/screenshots.</summary>
public static class Screenshots
{
    public static string PathOf(string name) =>
        Path.Combine(RepositoryRoot.Path, "services", "auth-service.Tests", "TestResults", "screenshots", name);

    /// <summary>Saves the page as <paramref name="name"/>; fails when the picture is too small to show anything.</summary>
    public static async Task<string> SaveAsync(IPage page, string name, int minBytes = 1000, bool fullPage = true)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage });
        Assert.True(new FileInfo(path).Length > minBytes, $"screenshot {path} looks empty");
        Console.WriteLine($"Screenshot: {path}");
        return path;
    }
}
