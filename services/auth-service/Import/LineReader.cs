namespace AuthService.Import;

/// <summary>
/// Reads a stream a line (<c>\n</c>-terminated) at a time into one reused buffer: memory stays at
/// <c>maxLineBytes</c> whatever the file's size. A longer line is skipped to its end and reported as too long.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineBytes)
{
    private readonly byte[] buffer = new byte[1 << 16];
    private readonly byte[] line = new byte[maxLineBytes];
    private int start, end;

    /// <summary>The next line without its <c>\n</c> (valid until the next call), or null at the end of the stream.</summary>
    public async ValueTask<(ReadOnlyMemory<byte> Bytes, bool TooLong)?> ReadLineAsync(CancellationToken ct)
    {
        var length = 0;
        var tooLong = false;
        var any = false;
        while (true)
        {
            if (start == end)
            {
                start = 0;
                end = await stream.ReadAsync(buffer, ct);
                if (end == 0) return any ? (line.AsMemory(0, tooLong ? 0 : length), tooLong) : null;
            }
            any = true;
            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            var chunkEnd = newline < 0 ? end : newline;
            var chunk = chunkEnd - start;
            if (!tooLong)
            {
                if (length + chunk > maxLineBytes) tooLong = true;
                else Buffer.BlockCopy(buffer, start, line, length, chunk);
                length += chunk;
            }
            start = newline < 0 ? end : newline + 1;
            if (newline >= 0) return (line.AsMemory(0, tooLong ? 0 : length), tooLong);
        }
    }
}
