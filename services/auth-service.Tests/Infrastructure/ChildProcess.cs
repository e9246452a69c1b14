using System.Diagnostics;

namespace AuthService.Tests.Infrastructure;

/// <summary>Runs a command of the test infrastructure (initdb, pg_ctl, docker, docker-compose, bash) to its end.</summary>
public static class ChildProcess
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        public string Output => StandardOutput + StandardError;

        /// <summary>This result, or an exception with the command's output when it did not exit 0.</summary>
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} exited {ExitCode}: {StandardError}{StandardOutput}");
    }

    /// <summary>Returns the command's standard output; a failure throws with its output.</summary>
    public static async Task<string> RunAsync(string file, params string[] args) =>
        (await ExecuteAsync(file, args)).EnsureSuccess($"{file} {string.Join(' ', args)}").StandardOutput;

    /// <summary>Runs the command and hands back its exit code and output, whatever they are.</summary>
    public static async Task<Result> ExecuteAsync(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "/tmp" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {timeout ?? DefaultTimeout}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Whether a process of this machine with that id still runs (a test run that left something behind).</summary>
    public static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid}");
}
