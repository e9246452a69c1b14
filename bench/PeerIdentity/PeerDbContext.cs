using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace PeerIdentity;

/// <summary>Identity's default schema; created by EnsureCreated at start.</summary>
internal sealed class PeerDbContext(DbContextOptions<PeerDbContext> options) : IdentityDbContext<IdentityUser>(options);
