namespace AuthService.Roles;

/// <summary>What a grant or revoke did; the command line turns each into its exit code and line.</summary>
public enum RoleChange
{
    Changed,
    Unchanged,
    UnknownUser,
    TooMany,
}
