namespace AuthService.Email;

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
