using System.Text.Json;
using AuthService.Accounts;
using AuthService.Admin;
using AuthService.Audit;
using AuthService.Email;
using AuthService.Mfa;
using AuthService.Passkeys;
using AuthService.Passwords;
using AuthService.Roles;
using AuthService.Sessions;
using AuthService.Tokens;

namespace AuthService.Tests.Audit;

/// <summary>
/// The JSON the service stores (audit details, outbox parameters, public JWKs) comes from records and build-time metadata:
/// every record is known to its context, and each writes the keys readers (the account export, the erasure on deletion,
/// the mails, docs/api.md) expect, as the anonymous objects written before them did.
/// </summary>
public sealed class StoredJsonShapeTests
{
    private static readonly Guid Id = Guid.Parse("3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f");

    [Fact]
    public void EveryAuditDetailsRecord_IsListedOnItsBase()
    {
        var listed = AuditJsonContext.Default.AuditDetails.PolymorphismOptions!.DerivedTypes.Select(d => d.DerivedType).ToHashSet();
        var records = typeof(AuditDetails).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(AuditDetails)) && !t.IsAbstract).ToList();

        Assert.NotEmpty(records);
        Assert.All(records, t => Assert.Contains(t, listed));
    }

    [Fact]
    public void EveryOutboxParametersRecord_IsListedOnItsBase()
    {
        var listed = OutboxJsonContext.Default.OutboxParameters.PolymorphismOptions!.DerivedTypes.Select(d => d.DerivedType).ToHashSet();
        var records = typeof(OutboxParameters).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(OutboxParameters)) && !t.IsAbstract).ToList();

        Assert.NotEmpty(records);
        Assert.All(records, t => Assert.Contains(t, listed));
    }

    public static TheoryData<string, AuditDetails, object> AuditShapes() => new()
    {
        { "admin_user_created", new AdminUserCreatedDetails(["admin"], true, false), new { roles = new[] { "admin" }, emailVerified = true, invited = false } },
        {
            "admin_user_updated", new AdminUserUpdatedDetails("changed", null, ["admin"], null),
            new { displayName = "changed", rolesAdded = (string[]?)null, rolesRemoved = new[] { "admin" }, emailVerified = (bool?)null }
        },
        { "email_change_requested", new EmailChangeRequestedDetails(true), new { addressTaken = true } },
        { "signin_failed", new FailedCheckDetails("ada@example.com", 3), new { email = "ada@example.com", failures = 3 } },
        { "mfa_failed", new FailedCheckDetails("ada@example.com", 1, Id), new { email = "ada@example.com", failures = 1, sessionId = Id } },
        { "mfa_succeeded", new MfaMethodDetails("recovery_code"), new { method = "recovery_code" } },
        { "admin_mfa_reset", new MfaResetDetails(true, 10, 2), new { totp = true, recoveryCodes = 10, passkeys = 2 } },
        { "passkey_added", new PasskeyDetails(Id), new { passkeyId = Id } },
        { "passkey_signin_failed", new PasskeySigninFailedDetails(Id, "counter"), new { passkeyId = Id, reason = "counter" } },
        { "password_rehashed", new PasswordRehashDetails("bcrypt", "argon2id"), new { from = "bcrypt", to = "argon2id" } },
        { "role_granted", new RoleDetails("admin"), new { role = "admin" } },
        { "logout_all", new SessionCountDetails(2), new { sessions = 2 } },
    };

    [Theory]
    [MemberData(nameof(AuditShapes))]
    public void AuditDetails_AreStoredAsBefore(string kind, AuditDetails details, object before)
    {
        Assert.NotEmpty(kind);
        Assert.Equal(JsonSerializer.Serialize(before), JsonSerializer.Serialize(details, AuditJsonContext.Default.AuditDetails));
    }

    [Fact]
    public void OutboxParameters_AreStoredAsBefore()
    {
        Assert.Equal(JsonSerializer.Serialize(new { signupId = 42L }),
            JsonSerializer.Serialize<OutboxParameters>(new VerificationMailParameters(42), OutboxJsonContext.Default.OutboxParameters));
        Assert.Equal(JsonSerializer.Serialize(new { from = "ada@example.com" }),
            JsonSerializer.Serialize<OutboxParameters>(new EmailChangeMailParameters("ada@example.com"), OutboxJsonContext.Default.OutboxParameters));
    }

    [Fact]
    public void APublicJwk_IsStoredAsBefore()
    {
        Assert.Equal(
            JsonSerializer.Serialize(new { kty = "EC", crv = "P-256", x = "eA", y = "eQ", kid = "k1", use = "sig", alg = "ES256" }),
            JsonSerializer.Serialize(new PublicJwk("EC", "P-256", "eA", "eQ", "k1", "sig", "ES256"), TokensJsonContext.Default.PublicJwk));
    }
}
