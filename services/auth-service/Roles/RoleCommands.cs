using AuthService.Data;
using AuthService.Http;
using AuthService.Shared;

namespace AuthService.Roles;

/// <summary>
/// <c>./AuthService grant-role &lt;email&gt; &lt;role&gt;</c> and <c>revoke-role &lt;email&gt; &lt;role&gt;</c>: the
/// bootstrap of the first admin, run with the service's configuration instead of the web host. Exit 0 with
/// one line on stdout; 1 with one line on stderr naming the reason. Audited with no actor (an operator).
/// </summary>
public static class RoleCommands
{
    public const string Grant = "grant-role";
    public const string Revoke = "revoke-role";

    /// <summary>The audit trail's origin for the command line: no address, the command as the agent.</summary>
    private static readonly RequestOrigin CommandLine = new(null, "auth-service command line");

    public static bool IsRoleCommand(string[] args) => args.Length > 0 && args[0] is Grant or Revoke;

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error)
    {
        var command = args[0];
        if (args.Length != 3)
        {
            await error.WriteLineAsync($"{command} failed: usage: {command} <email> <role>");
            return 1;
        }
        var email = EmailAddress.Normalize(args[1]);
        var role = args[2];
        if (email is null)
        {
            await error.WriteLineAsync($"{command} failed: '{HeaderText.Clean(args[1], 254)}' is not an email address");
            return 1;
        }
        if (!RoleNames.IsValid(role))
        {
            await error.WriteLineAsync($"{command} failed: a role name must match ^[a-z][a-z0-9_.:-]{{0,63}}$");
            return 1;
        }

        var ct = CancellationToken.None;
        await services.GetRequiredService<MigrationRunner>().ApplyAsync(ct);
        var store = services.GetRequiredService<RoleStore>();
        var grant = command == Grant;
        var result = grant
            ? await store.GrantAsync(email, role, null, CommandLine, ct)
            : await store.RevokeAsync(email, role, null, CommandLine, ct);
        switch (result)
        {
            case RoleChange.UnknownUser:
                await error.WriteLineAsync($"{command} failed: no user has the email {email}");
                return 1;
            case RoleChange.TooMany:
                await error.WriteLineAsync($"{command} failed: {email} already holds {RoleNames.MaxPerUser} roles, the most a user may hold");
                return 1;
            case RoleChange.Unchanged:
                await output.WriteLineAsync(grant ? $"{email} already holds role '{role}'." : $"{email} does not hold role '{role}'.");
                return 0;
            default:
                await output.WriteLineAsync(grant
                    ? $"Granted role '{role}' to {email}; it shows in tokens from the next refresh."
                    : $"Revoked role '{role}' from {email}; it leaves tokens at the next refresh.");
                return 0;
        }
    }
}
