using AuthService.Accounts;
using AuthService.Data;
using AuthService.Email;
using AuthService.Http;
using AuthService.Options;
using AuthService.Passwords;
using AuthService.Sessions;
using AuthService.Tokens;
using Microsoft.Extensions.Options;

// Before anything else: a process that cannot NFKC-normalize passwords must not serve them.
UnicodeNormalization.EnsureWorks();

var builder = WebApplication.CreateBuilder(args);

builder.AddAuthServiceOptions();
builder.AddHttpPipeline();
builder.Services.AddDatabase(builder.Configuration);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<PasswordPolicy>().AddSingleton<Argon2id>();
builder.Services.AddSingleton<ServerSecrets>().AddSingleton<SigningKeyStore>().AddSingleton<SigningKeyRing>().AddSingleton<AccessTokenIssuer>();
builder.Services.AddBearerAuthentication();
builder.Services.AddSingleton<SessionStore>().AddSingleton<RefreshRotation>().AddSingleton<RefreshCookie>().AddSingleton<SigninLockout>();
builder.Services.AddSingleton<AccountStore>().AddSingleton<PasswordStore>();
builder.Services.AddSingleton<BackgroundWorkQueue>().AddHostedService(sp => sp.GetRequiredService<BackgroundWorkQueue>());
builder.Services.AddEmail().AddOutboxMail<VerificationMail>().AddOutboxMail<SignupOnTakenAddressMail>().AddOutboxMail<PasswordResetMail>();
builder.Services.AddOpenApi(o => o.AddBearerSecurity());

var app = builder.Build();

if (args.Contains("rotate-signing-key"))
{
    // Incident tool: `dotnet AuthService.dll rotate-signing-key [--revoke-current]`.
    await SigningKeyCommands.RotateAsync(app.Services, revokeCurrent: args.Contains("--revoke-current"));
    return;
}

app.UseHttpPipeline();
if (app.Services.GetRequiredService<IOptions<DevEndpointsOptions>>().Value.Enabled)
{
    app.UseDefaultFiles(); // the demo SPA under /demo/, development only like the dev mailbox
    app.UseStaticFiles();
}
app.UseAuthentication();
app.UseAuthorization();

// Every endpoint goes on this root group, so rules for request bodies hold for all of them.
var api = app.MapGroup("").RefuseUnknownMembers();
api.MapHealth();
api.MapWellKnown();
api.MapAccounts();
api.MapSessions();
api.MapPasswords();
api.MapDevMailbox();
api.MapOpenApi();

app.Run();

/// <summary>Entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
