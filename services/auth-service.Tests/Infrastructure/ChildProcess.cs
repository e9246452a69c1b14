using System.Diagnostics;

namespace AuthService.Tests.Infrastructure;

/// <summary>Runs a command of the test infrastructure (initdb, pg_ctl, docker) to its end; a failure throws with its output.</summary>
public static class ChildProcess
{
    /// <summary>Returns the command's standard output.</summary>
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
        return await stdout;
    }

    /// <summary>Whether a process of this machine with that id still runs (a test run that left something behind).</summary>
    public static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid}");
}
