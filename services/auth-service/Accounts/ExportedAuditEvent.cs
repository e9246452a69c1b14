using System.Text.Json;

namespace AuthService.Accounts;

/// <summary>One audit event about the caller's account, as stored (its details never hold secrets).</summary>
public sealed record ExportedAuditEvent(string Kind, DateTimeOffset CreatedAt, string? Ip, string? UserAgent, JsonElement? Details);
