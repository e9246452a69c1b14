using System.Text.Json.Serialization;
using AuthService.Accounts;

namespace AuthService.Email;

/// <summary>
/// What an <see cref="IOutboxMail"/> renders its mail from at send time (outbox_emails.params, jsonb): one record per
/// kind that needs any, stored as its members (camelCase, no type marker) by build-time metadata
/// (<see cref="OutboxJsonContext"/>). A new one is listed here too: an unlisted one fails its first enqueue, in the tests.
/// Never a secret: the row is readable until it is sent.
/// </summary>
[JsonDerivedType(typeof(VerificationMailParameters))]
[JsonDerivedType(typeof(EmailChangeMailParameters))]
public abstract record OutboxParameters;
