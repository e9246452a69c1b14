using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using PeerIdentity;

// The peer of make bench: Identity's bearer tokens (POST /login, /refresh; GET /manage/info), nothing else.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddDbContext<PeerDbContext>(o => o.UseNpgsql(builder.Configuration.GetConnectionString("Postgres")));
builder.Services.AddAuthorization();
builder.Services.AddIdentityApiEndpoints<IdentityUser>().AddEntityFrameworkStores<PeerDbContext>();

var app = builder.Build();
using (var scope = app.Services.CreateScope())
    await scope.ServiceProvider.GetRequiredService<PeerDbContext>().Database.EnsureCreatedAsync();
app.MapIdentityApi<IdentityUser>();
await app.RunAsync();
