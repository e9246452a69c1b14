// The fastest a small JSON answer can be on this machine: what GET /.well-known/jwks.json is compared with.
var body = """{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","use":"sig","alg":"ES256"}]}"""u8.ToArray();
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapGet("/", (HttpContext http) =>
{
    http.Response.ContentType = "application/json";
    return http.Response.Body.WriteAsync(body).AsTask();
});
await app.RunAsync();
