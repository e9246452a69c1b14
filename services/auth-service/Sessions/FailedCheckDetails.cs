using System.Text.Json.Serialization;
using AuthService.Audit;

namespace AuthService.Sessions;

/// <summary>A failed password or code check (signin_failed, mfa_failed, …): the email, its failures so far, and the session when there is one.</summary>
public sealed record FailedCheckDetails(
    string Email,
    int Failures,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? SessionId = null) : AuditDetails;
