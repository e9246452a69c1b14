using System.Diagnostics;

namespace AuthService.Tests.Infrastructure;

/// <summary>
/// Removes something the tests started (a cluster, a container) when asked, and at the latest once this test
/// process is gone, however it ends: the test runner kills its test host as soon as the run is over, before a
/// ProcessExit handler gets far, and a killed or crashed run runs none. A shell in a session of its own (so a
/// Ctrl-C of the run does not reach it) waits for the end of its stdin, a pipe that only this process holds, then
/// runs the cleanup script.
/// </summary>
public sealed class ExitCleanup
{
    // Held until run: a collected writer would close the pipe, and clean up, early.
    private static readonly List<ExitCleanup> Waiting = [];

    private readonly Process shell;

    private ExitCleanup(Process shell) => this.shell = shell;

    /// <summary>Starts the shell that will run <paramref name="script"/> (sh, with <paramref name="args"/> as $1…).</summary>
    public static ExitCleanup Register(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("setsid", ["--wait", "sh", "-c", "cat >/dev/null; exec >/dev/null 2>&1; " + script, "sh", .. args])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/tmp",
        };
        var cleanup = new ExitCleanup(Process.Start(psi)!);
        lock (Waiting) Waiting.Add(cleanup);
        return cleanup;
    }

    /// <summary>Runs the cleanup now and waits for it (best effort: the run is over for what it removes).</summary>
    public void RunNow()
    {
        lock (Waiting)
        {
            if (!Waiting.Remove(this)) return;
        }
        shell.StandardInput.Close();
        shell.WaitForExit(TimeSpan.FromSeconds(30));
        shell.Dispose();
    }
}
