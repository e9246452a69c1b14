using System.Text.Json;
using AuthService.Shared;
using Fido2NetLib;
using Fido2NetLib.Objects;

namespace AuthService.Passkeys;

/// <summary>
/// The two WebAuthn ceremonies, verified by Fido2 against the options stored server-side: registration (attestation) and
/// passwordless signin (assertion). User verification is required in both: a passkey signin stands for "something you have"
/// and "something you are or know" at once (amr <c>hwk</c>, <c>user</c>, <c>mfa</c>).
/// </summary>
internal sealed partial class PasskeyCeremonies(IFido2 fido2, PasskeyStore store, ILogger<PasskeyCeremonies> logger)
{
    /// <summary>ES256 first (every authenticator has it), then EdDSA, then RS256 (Windows Hello).</summary>
    private static readonly PubKeyCredParam[] Algorithms = [PubKeyCredParam.ES256, PubKeyCredParam.Ed25519, PubKeyCredParam.RS256];

    /// <summary>The user handle: the user's id as its 16 bytes (RFC 9562 order), which says nothing about the user.</summary>
    public static byte[] UserHandle(Guid userId) => userId.ToByteArray(bigEndian: true);

    public async Task<JsonElement> BeginRegistrationAsync(UserResponse user, CancellationToken ct)
    {
        var options = fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = UserHandle(user.Id), Name = user.Email, DisplayName = user.DisplayName ?? user.Email },
            ExcludeCredentials = await store.DescriptorsAsync(user.Id, ct),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Required,
            },
            AttestationPreference = AttestationConveyancePreference.None,
            PubKeyCredParams = Algorithms,
        });
        var json = options.ToJson();
        await store.SaveChallengeAsync(user.Id, PasskeyStore.RegisterPurpose, json, ct);
        return ToElement(json);
    }

    public async Task<PasskeyRegistrationOutcome> CompleteRegistrationAsync(Guid userId, JsonElement credential, string name, RequestOrigin origin,
        CancellationToken ct)
    {
        if (WebAuthnJson.Attestation(credential) is not { } attestation || WebAuthnJson.Challenge(attestation.Response.ClientDataJson) is not { } challenge)
            return new(null, FieldErrors.InvalidFormat);
        // The challenge inside clientDataJSON names the options it answers; taking them deletes them, verified or not.
        if (await store.TakeRegisterChallengeAsync(userId, challenge, ct) is not { } stored)
            return new(null, PasskeyFieldErrors.Rejected);

        RegisteredPublicKeyCredential registered;
        try
        {
            registered = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = attestation,
                OriginalOptions = CredentialCreateOptions.FromJson(stored),
                IsCredentialIdUniqueToUserCallback = (args, token) => store.IsCredentialIdFreeAsync(args.CredentialId, token),
            }, ct);
        }
        catch (Fido2VerificationException e) when (e.Code == Fido2NetLib.Exceptions.Fido2ErrorCode.NonUniqueCredentialId)
        {
            return new(null, PasskeyFieldErrors.AlreadyRegistered);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            LogRefused(logger, "registration", e.GetType().Name, Detail(e));
            return new(null, PasskeyFieldErrors.Rejected);
        }
        var passkey = await store.AddAsync(userId, registered, name, origin, ct);
        return passkey is null ? new(null, PasskeyFieldErrors.AlreadyRegistered) : new(passkey, null);
    }

    public async Task<PasskeySigninOptionsResponse> BeginSigninAsync(CancellationToken ct)
    {
        // Discoverable credentials: no allowCredentials, so the request names no account; the authenticator offers its passkeys.
        var options = fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = [],
            UserVerification = UserVerificationRequirement.Required,
        });
        var json = options.ToJson();
        var id = await store.SaveChallengeAsync(null, PasskeyStore.SigninPurpose, json, ct);
        return new PasskeySigninOptionsResponse(id, ToElement(json));
    }

    /// <summary>
    /// Verifies an assertion against the challenge it claims (taken first, so it is used up whatever follows) and moves the
    /// passkey's counter. Refused: an unknown, used or expired challenge; an unknown credential; a user handle that is not the
    /// credential's owner; a bad signature, rpIdHash, origin, type or challenge; no user verification; a counter that did not grow.
    /// </summary>
    public async Task<PasskeySigninOutcome> CompleteSigninAsync(Guid challengeId, JsonElement credential, RequestOrigin origin, CancellationToken ct)
    {
        var stored = await store.TakeSigninChallengeAsync(challengeId, ct);
        if (stored is null || WebAuthnJson.Assertion(credential) is not { } assertion) return new(null);
        if (assertion.Response.UserHandle is not { Length: 16 } || await store.FindAsync(assertion.RawId, ct) is not { } passkey) return new(null);

        var owner = UserHandle(passkey.User.Id);
        VerifyAssertionResult verified;
        try
        {
            verified = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = assertion,
                OriginalOptions = AssertionOptions.FromJson(stored),
                StoredPublicKey = passkey.PublicKey,
                StoredSignatureCounter = (uint)passkey.SignCount,
                IsUserHandleOwnerOfCredentialIdCallback = (args, _) => Task.FromResult(args.UserHandle.AsSpan().SequenceEqual(owner)),
            }, ct);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            LogRefused(logger, "signin", e.GetType().Name, Detail(e));
            await store.AuditFailureAsync(passkey.User.Id, passkey.Id, (e as Fido2VerificationException)?.Code.ToString() ?? "malformed", origin, ct);
            return new(null);
        }

        // A counter that did not grow means a cloned authenticator or a replay; 0 and 0 is an authenticator that does not count.
        if ((passkey.SignCount != 0 || verified.SignCount != 0) && verified.SignCount <= passkey.SignCount)
        {
            await store.AuditFailureAsync(passkey.User.Id, passkey.Id, "counter_not_increased", origin, ct);
            return new(null);
        }
        if (!await store.RecordUseAsync(passkey.Id, passkey.SignCount, verified.SignCount, ct))
        {
            await store.AuditFailureAsync(passkey.User.Id, passkey.Id, "counter_raced", origin, ct);
            return new(null);
        }
        return new(passkey);
    }

    /// <summary>What a hostile or broken credential can make Fido2 throw; anything else is a bug and stays a 500.</summary>
    private static bool IsRefusal(Exception e) => e is Fido2VerificationException or JsonException or FormatException or ArgumentException
        or InvalidOperationException or NotSupportedException or System.Security.Cryptography.CryptographicException
        or System.Formats.Cbor.CborContentException or OverflowException or IndexOutOfRangeException;

    /// <summary>Fido2's reason, which may quote what the client sent (an origin): without control characters, and bounded.</summary>
    private static string Detail(Exception e) => Http.HeaderText.Clean(e.Message, Http.HeaderText.MaxLoggedLength) ?? "";

    private static JsonElement ToElement(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Passkey {Ceremony} refused: {Reason}: {Detail}")]
    private static partial void LogRefused(ILogger logger, string ceremony, string reason, string detail);
}
