using System.Buffers.Binary;
using System.Buffers.Text;

namespace AuthService.Admin;

/// <summary>
/// The admin listing's keyset position: the last row's (created_at, id), opaque to clients as 32 base64url
/// characters (8 bytes of microseconds since the Unix epoch, PostgreSQL's precision, then the 16-byte id).
/// Rows inserted while a client pages are newer than any cursor, so they never shift a page: no duplicates, no gaps.
/// </summary>
internal readonly record struct UserCursor(DateTime CreatedAt, Guid Id)
{
    public const int EncodedLength = 32;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[24];
        var micros = (CreatedAt.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10;
        BinaryPrimitives.WriteInt64BigEndian(bytes, micros);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string? text, out UserCursor cursor)
    {
        cursor = default;
        if (text is null || text.Length != EncodedLength) return false;
        Span<byte> bytes = stackalloc byte[24];
        if (Base64Url.DecodeFromChars(text, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != EncodedLength || written != 24) return false;
        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (micros < 0 || micros > (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / 10) return false;
        cursor = new UserCursor(DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks(micros * 10), DateTimeKind.Utc), new Guid(bytes[8..], bigEndian: true));
        return true;
    }
}
