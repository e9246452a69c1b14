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
