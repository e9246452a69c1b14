using System.Globalization;
using System.Text.Json;
using AuthService.Docs;
using AuthService.Http;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Telemetry;
using AuthService.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace AuthService.Passkeys;

/// <summary>Passkeys (WebAuthn discoverable credentials): registration, the list, removal and passwordless signin.</summary>
internal static class PasskeyEndpoints
{
    /// <summary>A passkey's name: like a display name, but shorter (it fits a list row).</summary>
    public const int MaxNameLength = 64;

    public static IEndpointRouteBuilder MapPasskeys(this IEndpointRouteBuilder app)
    {
        var passkeys = app.MapGroup("/auth/passkeys").WithTags("Passkeys");
        var own = passkeys.MapGroup("").RequireAuthorization();
        own.MapPost("/register/options", RegisterOptions).WithName("PasskeyRegisterOptions")
            .WithSummary("Start registering a passkey")
            .WithDescription("WebAuthn creation options (`PublicKeyCredentialCreationOptions` as JSON, binary members base64url) for " +
                "`navigator.credentials.create`: a discoverable credential (`residentKey` `required`) with user verification " +
                "(`userVerification` `required`), attestation `none`, algorithms ES256, EdDSA and RS256, the caller's passkeys in " +
                "`excludeCredentials`, and `user.id` the user's id as 16 bytes. The options are kept server-side for 5 minutes and " +
                "answer one registration; the challenge inside `clientDataJSON` says which (several may be pending).")
            .WithResponseDescription(200, "The creation options.");
        own.MapPost("/register", Register).WithName("PasskeyRegister").RequireRateLimiting(RateLimits.Credentials)
            .WithSummary("Register a passkey")
            .WithDescription("Verifies the attestation (`credential`: the `PublicKeyCredential` from `navigator.credentials.create` as " +
                "JSON, as `toJSON()` gives it) against the caller's pending options: the challenge, the origin (`Auth:AllowedOrigins` " +
                "and `Auth:AppBaseUrl`), the RP id hash (`Auth:Passkeys:RpId`), user presence and verification. The options are used " +
                "up, verified or not. The owner is mailed and the event audited (`passkey_added`); `mfa.passkeys` of the user counts it.")
            .WithResponseDescription(201, "Registered.")
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.credential`: `required`, `invalid_format` (not a credential), " +
                "`rejected` (it did not verify, or answers no pending options of the caller: unknown, used or expired), " +
                $"`already_registered`; `errors.name`: `too_short`, `too_long` (over {MaxNameLength} characters), `invalid_format`.");
        own.MapGet("", List).WithName("ListPasskeys")
            .WithSummary("List the signed-in user's passkeys")
            .WithDescription("The caller's passkeys, oldest first, without key material.")
            .WithResponseDescription(200, "The passkeys.");
        own.MapDelete("/{id}", Delete).WithName("DeletePasskey")
            .WithSummary("Remove a passkey")
            .WithDescription("Removes one of the caller's passkeys: it can no longer sign in. The owner is mailed and the event audited " +
                "(`passkey_removed`). Sessions it started stay; revoke them in the session list.")
            .DescribesParameter("id", ParameterLocation.Path, "The passkey's id (`id` in the passkey list).", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
            .WithResponseDescription(204, "Removed.")
            .ProducesError(404, ErrorCodes.NotFound, "No passkey with that id belongs to the caller (or the id is not a UUID).");

        passkeys.MapPost("/signin/options", SigninOptions).WithName("PasskeySigninOptions").RequireRateLimiting(RateLimits.Credentials)
            .KeepsSessionCache()
            .WithSummary("Start a passkey signin")
            .WithDescription("WebAuthn request options (`PublicKeyCredentialRequestOptions` as JSON) for `navigator.credentials.get`, " +
                "with an empty `allowCredentials` (discoverable credentials: the request names no account) and `userVerification` " +
                "`required`, and the id of the stored challenge. It answers one signin within 5 minutes.")
            .WithResponseDescription(200, "The challenge's id and the request options.");
        passkeys.MapPost("/signin", Signin).WithName("PasskeySignin").RequireRateLimiting(RateLimits.Credentials)
            .KeepsSessionCache()
            .WithSummary("Sign in with a passkey")
            .WithDescription("Verifies the assertion (`credential`: the `PublicKeyCredential` from `navigator.credentials.get` as JSON) " +
                "against the challenge `challengeId` names, which is used up whatever the outcome: the credential must be a " +
                "registered passkey whose user handle is its owner's, and the signature, challenge, origin, RP id hash and user " +
                "verification must hold. The signature counter must grow whenever the stored or the presented one is not 0 (a " +
                "clone or a replay otherwise). Starts a session like a password signin, with `amr` `hwk`, `user`, `mfa`; no second " +
                "factor is asked.")
            .WithResponseDescription(200, "Signed in.")
            .SetsRefreshCookie(200)
            .ProducesError(400, ErrorCodes.ValidationFailed, "`errors.challengeId`, `errors.credential`: `required`, `invalid_format`.")
            .ProducesError(401, ErrorCodes.InvalidCredentials, "The assertion was refused: a bad, replayed, expired or foreign-origin one, " +
                "an unknown credential, or an unknown or used challenge.")
            .ProducesError(403, ErrorCodes.EmailNotVerified, "The passkey was right, but an admin marked the address unverified.")
            .ProducesError(403, ErrorCodes.AccountDisabled, "The passkey was right, but an admin disabled the account.");
        return app;
    }

    public static async Task<Ok<JsonElement>> RegisterOptions(HttpContext http, PasskeyCeremonies ceremonies, CancellationToken ct) =>
        TypedResults.Ok(await ceremonies.BeginRegistrationAsync(http.GetAuthenticatedUser().User, ct));

    public static async Task<Results<Created<PasskeyResponse>, ProblemHttpResult>> Register(RegisterPasskeyRequest request, HttpContext http,
        PasskeyCeremonies ceremonies, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Credential is not { } credential) errors["credential"] = [FieldErrors.Required];
        else if (credential.ValueKind != JsonValueKind.Object) errors["credential"] = [FieldErrors.InvalidFormat];
        if (CheckName(request.Name, out var name) is { } nameError) errors["name"] = [nameError];
        if (errors.Count > 0) return Problems.Validation(errors);

        var caller = http.GetAuthenticatedUser().User;
        name ??= "Passkey " + clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var outcome = await ceremonies.CompleteRegistrationAsync(caller.Id, request.Credential!.Value, name, RequestOrigin.From(http), ct);
        if (outcome.Passkey is not { } passkey)
            return Problems.Validation(new Dictionary<string, string[]> { ["credential"] = [outcome.Error!] });
        return TypedResults.Created($"/auth/passkeys/{passkey.Id}", passkey);
    }

    public static async Task<Ok<IReadOnlyList<PasskeyResponse>>> List(HttpContext http, PasskeyStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(http.GetAuthenticatedUser().User.Id, ct));

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, PasskeyStore store, CancellationToken ct)
    {
        var caller = http.GetAuthenticatedUser();
        if (!Guid.TryParse(id, out var passkeyId) || !await store.DeleteAsync(caller.User.Id, passkeyId, RequestOrigin.From(http), ct))
            return Problems.NotFound();
        return TypedResults.NoContent();
    }

    public static async Task<Ok<PasskeySigninOptionsResponse>> SigninOptions(PasskeyCeremonies ceremonies, CancellationToken ct) =>
        TypedResults.Ok(await ceremonies.BeginSigninAsync(ct));

    public static async Task<Results<Ok<AccessTokenResponse>, ProblemHttpResult>> Signin(PasskeySigninRequest request, HttpContext http,
        PasskeyCeremonies ceremonies, SessionStart start, AuthMetrics metrics, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        Guid challengeId = default;
        if (string.IsNullOrEmpty(request.ChallengeId)) errors["challengeId"] = [FieldErrors.Required];
        else if (!Guid.TryParse(request.ChallengeId, out challengeId)) errors["challengeId"] = [FieldErrors.InvalidFormat];
        if (request.Credential is not { } credential) errors["credential"] = [FieldErrors.Required];
        else if (credential.ValueKind != JsonValueKind.Object) errors["credential"] = [FieldErrors.InvalidFormat];
        if (errors.Count > 0) return Problems.Validation(errors);

        var origin = RequestOrigin.From(http);
        var outcome = await ceremonies.CompleteSigninAsync(challengeId, request.Credential!.Value, origin, ct);
        if (outcome.Passkey is not { } passkey)
        {
            metrics.Signin(AuthMetrics.SigninInvalidCredentials);
            return Problems.Create(401, ErrorCodes.InvalidCredentials, "The passkey was not accepted");
        }
        // As the password signin: an address an admin marked unverified signs in with nothing until it is verified again.
        if (start.Refusal(passkey.User, passkey.Disabled) is { } refused) return refused;
        return await start.StartAsync(http, passkey.User, AuthMethods.Passkey, AuthMetrics.SigninPasskey, origin, ct);
    }

    /// <summary>name: optional; trimmed, 1–64 characters, nothing invisible except inside emoji sequences (as display names).</summary>
    private static string? CheckName(string? value, out string? trimmed)
    {
        trimmed = value?.Trim();
        if (trimmed is null) return null;
        if (trimmed.Length == 0) return FieldErrors.TooShort;
        if (trimmed.EnumerateRunes().Count() > MaxNameLength) return FieldErrors.TooLong;
        return VisibleText.IsVisibleName(trimmed) ? null : FieldErrors.InvalidFormat;
    }
}
