using System.Text.Json;
using System.Text.Json.Serialization;
using AuthService.Accounts;
using AuthService.Admin;
using AuthService.Docs;
using AuthService.Email;
using AuthService.Import;
using AuthService.Mfa;
using AuthService.Passkeys;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Shared;
using AuthService.Tokens;

namespace AuthService.Http;

/// <summary>
/// Serializer metadata, generated at build time, for every JSON body the API reads or writes: the only resolver of
/// the HTTP JSON options besides the framework's own (problem details, OpenAPI; <see cref="HttpJsonOptions"/>), so a body type
/// missing here fails the first request that uses it in the tests, not in a Native AOT build. The web defaults are
/// what the endpoints used before (camelCase names, case-insensitive reading, nulls written).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
// Request bodies
[JsonSerializable(typeof(SignupRequest))]
[JsonSerializable(typeof(VerifyEmailRequest))]
[JsonSerializable(typeof(EmailRequest))]
[JsonSerializable(typeof(ResetPasswordRequest))]
[JsonSerializable(typeof(ChangePasswordRequest))]
[JsonSerializable(typeof(UpdateProfileRequest))]
[JsonSerializable(typeof(EmailChangeRequest))]
[JsonSerializable(typeof(ConfirmEmailChangeRequest))]
[JsonSerializable(typeof(DeleteMeRequest))]
[JsonSerializable(typeof(SigninRequest))]
[JsonSerializable(typeof(MfaSigninRequest))]
[JsonSerializable(typeof(MfaCodeRequest))]
[JsonSerializable(typeof(DisableTotpRequest))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UpdateUserRequest))]
[JsonSerializable(typeof(ImportUsersRequest))]
[JsonSerializable(typeof(ImportUser))] // also each line of the import-users command
[JsonSerializable(typeof(RegisterPasskeyRequest))]
[JsonSerializable(typeof(PasskeySigninRequest))]
// Response bodies
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(PasswordRules))]
[JsonSerializable(typeof(AccessTokenResponse))]
[JsonSerializable(typeof(MfaRequiredResponse))]
[JsonSerializable(typeof(IReadOnlyList<SessionResponse>))]
[JsonSerializable(typeof(AccountExport))]
[JsonSerializable(typeof(AdminUserResponse))]
[JsonSerializable(typeof(AdminUserPage))]
[JsonSerializable(typeof(ImportUsersResponse))]
[JsonSerializable(typeof(TotpSetupResponse))]
[JsonSerializable(typeof(RecoveryCodesResponse))]
[JsonSerializable(typeof(PasskeyResponse))]
[JsonSerializable(typeof(IReadOnlyList<PasskeyResponse>))]
[JsonSerializable(typeof(PasskeySigninOptionsResponse))]
[JsonSerializable(typeof(JsonElement))] // the passkey creation options as they are; a stored audit event's details
[JsonSerializable(typeof(IReadOnlyList<OutboxEmail>))]
[JsonSerializable(typeof(RootLinks))]
// Problem details extension values (Problems): they are typed object, so their run-time types need metadata of their own.
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
internal sealed partial class AuthJsonContext : JsonSerializerContext;
