using AuthService.Accounts;
using AuthService.Admin;
using AuthService.Data;
using AuthService.Docs;
using AuthService.Email;
using AuthService.Http;
using AuthService.Import;
using AuthService.LinkPages;
using AuthService.Mfa;
using AuthService.Options;
using AuthService.Passkeys;
using AuthService.Passwords;
using AuthService.Roles;
using AuthService.Sessions;
using AuthService.Telemetry;
using AuthService.Tokens;

// Before anything else: a process that cannot NFKC-normalize passwords must not serve them.
UnicodeNormalization.EnsureWorks();

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddSingleton(TimeProvider.System); // the one clock every feature reads; tests replace it
builder.AddAuthServiceOptions();
builder.AddHttpPipeline();
builder.AddApiDocs(); // the OpenAPI document, /docs and GET /
builder.AddTelemetry(); // traces, metrics, OTLP and the Prometheus endpoint on its own port
builder.AddDatabase();
builder.AddEmail();
builder.AddTokens();
builder.AddPasswords();
builder.AddSessions();
builder.AddAccounts(); // accounts and their password flows (forgot, reset, change)
builder.AddRoles();
builder.AddAdmin(); // the admin API
builder.AddPasskeys(); // WebAuthn passkeys: registration and passwordless signin
builder.AddMfa(); // second factors: TOTP, recovery codes, the MFA step of signin
builder.AddImport(); // users from other systems: the import-users command and POST /admin/users/import
builder.SkipUnusedStartupWork(); // last: removes what the registrations above brought and the service does not use

var app = builder.Build();

if (args.Contains("rotate-signing-key"))
{
    // Incident tool: `./AuthService rotate-signing-key [--revoke-current]`.
    await SigningKeyCommands.RotateAsync(app.Services, revokeCurrent: args.Contains("--revoke-current"));
    return;
}

if (args.Contains("rewrap-keys"))
{
    // Key-encryption key rotation: `./AuthService rewrap-keys` re-seals every stored secret under the newest KEK.
    Environment.ExitCode = await KeyEncryptionCommands.RewrapAsync(app.Services, Console.Out, Console.Error);
    return;
}

if (RoleCommands.IsRoleCommand(args))
{
    // Bootstrap and repair: `./AuthService grant-role <email> <role>` / `revoke-role <email> <role>`.
    Environment.ExitCode = await RoleCommands.RunAsync(app.Services, args, Console.Out, Console.Error);
    return;
}

if (args.Length > 0 && args[0] == "import-users")
{
    // Migration from another system: `./AuthService import-users <file.jsonl>` (docs/migrating.md).
    Environment.ExitCode = await ImportUsersCommand.RunAsync(app.Services, args.ElementAtOrDefault(1), Console.Out, Console.Error);
    return;
}

app.UseHttpPipeline();
app.UseSessionCacheInvalidation(); // a change made here shows here at once (other replicas: NOTIFY)
app.UseAuthentication();
app.UseAuthorization();

// Every endpoint goes on this root group, so rules for request bodies hold for all of them.
var api = app.MapGroup("").RefuseUnknownMembers();
api.MapHealth();
api.MapWellKnown();
api.MapAccounts();
api.MapSessions();
api.MapMfaSignin();
api.MapMfa();
api.MapPasswords();
api.MapAdmin();
api.MapEmailChange();
api.MapDeleteMe();
api.MapAccountExport();
api.MapPasskeys();
api.MapDevMailbox();
api.MapApiDocs();
api.MapLinkPages(); // the pages of the mailed links, when those links lead here

app.Run();

/// <summary>Entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
