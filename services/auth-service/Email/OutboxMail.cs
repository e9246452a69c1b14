using System.Text.Json;
using Npgsql;

namespace AuthService.Email;

/// <summary>
/// One kind of outbox mail that is rendered when it is sent rather than when it was requested, so a
/// link in it is minted then (a throttled, deferred mail never arrives already voided). Features
/// register theirs (<see cref="EmailServiceCollectionExtensions.AddOutboxMail{T}"/>); the dispatcher
/// looks them up by <see cref="Kind"/>, so Email needs to know nothing about accounts or passwords.
/// </summary>
public interface IOutboxMail
{
    /// <summary>The value of <c>outbox_emails.kind</c> this renders.</summary>
    string Kind { get; }

    /// <summary>At most one mail of a throttled kind per address per <c>Email:MinIntervalPerAddress</c>.</summary>
    bool Throttled { get; }

    /// <summary>
    /// Mints what the mail links to and renders it, inside the dispatcher's render transaction (the
    /// row is locked, and so is its (address, kind) when throttled). Null when the mail has become
    /// pointless (its signup was superseded, its account is gone): the row is dropped, never sent.
    /// Must not lock rows that a request transaction may hold while waiting for this row: inserting
    /// a token (a KEY SHARE lock through its foreign key) is fine, updating user rows is not.
    /// </summary>
    Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct);
}

/// <summary>An outbox row being rendered, with the transaction that will mark it rendered.</summary>
public sealed record OutboxRenderContext(
    NpgsqlConnection Connection, NpgsqlTransaction Transaction, long Id, string To, Guid? UserId, JsonElement Params, DateTimeOffset Now)
{
    public long? Long(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    public string? String(string name) =>
        Params.ValueKind == JsonValueKind.Object && Params.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>The registered renderers by kind; a kind registered twice stops the service at startup.</summary>
public sealed class OutboxMails
{
    private readonly Dictionary<string, IOutboxMail> byKind = new(StringComparer.Ordinal);

    public OutboxMails(IEnumerable<IOutboxMail> mails)
    {
        foreach (var mail in mails)
            if (!byKind.TryAdd(mail.Kind, mail))
                throw new InvalidOperationException($"Two outbox renderers for kind '{mail.Kind}'.");
    }

    public IOutboxMail? Find(string kind) => byKind.GetValueOrDefault(kind);
}

/// <summary>
/// Written by the refresh-reuse SQL function in the transaction that revokes the session
/// (<c>params</c>: device, ip). Not throttled: a reuse is rare (at most once per session) and the
/// owner should hear of each one.
/// </summary>
public sealed class RefreshReuseNoticeMail(EmailTemplates templates) : IOutboxMail
{
    public const string KindName = "refresh_reuse_notice";

    public string Kind => KindName;
    public bool Throttled => false;

    public Task<EmailMessage?> RenderAsync(OutboxRenderContext mail, CancellationToken ct) =>
        Task.FromResult<EmailMessage?>(templates.SessionRevokedForReuse(mail.To, mail.String("device"), mail.String("ip")));
}
