using AuthService.Audit;

namespace AuthService.Accounts;

/// <summary>email_change_requested: whether the new address belonged to another account (that address is not stored).</summary>
public sealed record EmailChangeRequestedDetails(bool AddressTaken) : AuditDetails;
