using System.Text.Json.Serialization;
using AuthService.Accounts;
using AuthService.Admin;
using AuthService.Mfa;
using AuthService.Passkeys;
using AuthService.Passwords;
using AuthService.Roles;
using AuthService.Sessions;

namespace AuthService.Audit;

/// <summary>
/// An audit event's <c>details</c>: one record per shape, stored as its members (camelCase, no type marker) by
/// build-time metadata (<see cref="AuditJsonContext"/>). A new shape is listed here too: an unlisted one fails
/// its first write, in the tests. Never a secret (no passwords, no tokens): ids and reasons only.
/// </summary>
[JsonDerivedType(typeof(AdminUserCreatedDetails))]
[JsonDerivedType(typeof(AdminUserUpdatedDetails))]
[JsonDerivedType(typeof(EmailChangeRequestedDetails))]
[JsonDerivedType(typeof(FailedCheckDetails))]
[JsonDerivedType(typeof(MfaMethodDetails))]
[JsonDerivedType(typeof(MfaResetDetails))]
[JsonDerivedType(typeof(PasskeyDetails))]
[JsonDerivedType(typeof(PasskeySigninFailedDetails))]
[JsonDerivedType(typeof(PasswordRehashDetails))]
[JsonDerivedType(typeof(RoleDetails))]
[JsonDerivedType(typeof(SessionCountDetails))]
public abstract record AuditDetails;
