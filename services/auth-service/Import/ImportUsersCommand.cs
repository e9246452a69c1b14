using System.Diagnostics;
using System.Text.Json;
using System.Text.Unicode;
using AuthService.Data;
using AuthService.Http;
using AuthService.Shared;

namespace AuthService.Import;

/// <summary>
/// <c>./AuthService import-users &lt;file.jsonl&gt;</c>: one user object a line (<see cref="ImportUser"/>),
/// read as a stream and imported <see cref="UserImporter.MaxBatch"/> at a time with the service's configuration.
/// Every refused line is reported on stderr with its number and reason as it is met, a progress line follows
/// each batch, and a summary ends the run on stdout. Exit code 1 when any line was refused (unreadable,
/// not JSON, an invalid user); an address that exists already (<c>exists</c>, as on a re-run) is not an error.
/// </summary>
public static class ImportUsersCommand
{
    /// <summary>A user object is a few hundred bytes; a longer line is refused unread.</summary>
    public const int MaxLineBytes = 16 * 1024;

    public static async Task<int> RunAsync(IServiceProvider services, string? path, TextWriter output, TextWriter error, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            await error.WriteLineAsync("usage: AuthService import-users <file.jsonl> (one user object a line; the file was not found)");
            return 1;
        }
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        var importer = services.GetRequiredService<UserImporter>();
        var origin = new RequestOrigin(null, "import-users");
        var started = Stopwatch.GetTimestamp();
        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long lines = 0, imported = 0, refused = 0;
        var batch = new List<ImportUser>(UserImporter.MaxBatch);
        var batchLines = new List<long>(UserImporter.MaxBatch);

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var reader = new LineReader(file, MaxLineBytes);
        while (true)
        {
            var line = await reader.ReadLineAsync(ct);
            if (line is null) break;
            lines++;
            var (bytes, tooLong) = line.Value;
            if (tooLong) { await RefuseAsync(lines, null, ImportSkipReasons.LineTooLong); continue; }
            if (bytes.Span.Trim(" \t\r"u8).IsEmpty) continue; // blank lines separate nothing and are ignored
            if (!Utf8.IsValid(bytes.Span)) { await RefuseAsync(lines, null, ImportSkipReasons.InvalidUtf8); continue; }
            ImportUser? user;
            try
            {
                user = JsonSerializer.Deserialize(bytes.Span, AuthJsonContext.Default.ImportUser);
            }
            catch (JsonException)
            {
                user = null;
            }
            if (user is null) { await RefuseAsync(lines, null, ImportSkipReasons.InvalidJson); continue; }
            // A misspelt member (password_hash) must not import a user without their password.
            if (user.UnknownMembers is { Count: > 0 }) { await RefuseAsync(lines, user.Email, ImportSkipReasons.UnknownMember); continue; }
            batch.Add(user);
            batchLines.Add(lines);
            if (batch.Count == UserImporter.MaxBatch) await FlushAsync();
        }
        await FlushAsync();

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var skipped = string.Join(", ", reasons.Select(r => $"{r.Key} {r.Value}"));
        await output.WriteLineAsync(
            $"import-users: {lines} lines, {imported} users imported, {reasons.Values.Sum()} skipped{(skipped.Length > 0 ? $" ({skipped})" : "")}, " +
            $"{refused} refused; {seconds:0.0} s ({(seconds > 0 ? imported / seconds : 0):0} users/s)");
        return refused > 0 ? 1 : 0;

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var result = await importer.ImportAsync(batch, "cli", null, origin, ct);
            imported += result.Imported;
            foreach (var (index, s) in result.Skipped)
            {
                if (s.Reason == ImportSkipReasons.Exists) Count(s.Reason);
                else await RefuseAsync(batchLines[index], s.Email, s.Reason);
            }
            batch.Clear();
            batchLines.Clear();
            await error.WriteLineAsync($"import-users: {lines} lines read, {imported} imported, {reasons.Values.Sum()} skipped ({Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s)");
        }

        Task RefuseAsync(long lineNumber, string? email, string reason)
        {
            refused++;
            Count(reason);
            // The email only when it is printable text of sane length: the line may be hostile.
            var who = email is { Length: <= 254 } && VisibleText.IsVisible(email) ? $" ({email})" : "";
            return error.WriteLineAsync($"line {lineNumber}: {reason}{who}");
        }

        void Count(string reason) => reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
    }
}
