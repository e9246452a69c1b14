using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AuthService.Docs;

/// <summary>
/// The document as a whole: info, servers, tags, and the components operations refer to (the Problem schema,
/// the shared error answers and their examples, headers, and the bodies the service writes as pre-rendered bytes).
/// Nothing here depends on configuration or the request, so the served document equals docs/openapi.json.
/// </summary>
internal sealed class ApiDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string ProblemContentType = "application/problem+json";
    public const string ProblemSchema = "Problem";
    public const string RetryAfterHeader = "RetryAfter";
    public const string WwwAuthenticateHeader = "WwwAuthenticate";
    public const string JwksSchema = "JsonWebKeySet";
    public const string DiscoverySchema = "OpenIdConfiguration";
    public const string HealthSchema = "HealthStatus";

    /// <summary>The release (Directory.Build.props' Version): the document's info.version and GET /'s.</summary>
    public static string Version { get; } = typeof(ApiDocumentTransformer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private const string TraceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Accounts", "Signup, email verification and the signed-in user's profile."),
        ("Sessions", "Signin, the refresh cookie's rotation, logout and the caller's sessions. The refresh token lives only in an " +
            "HttpOnly cookie (`Path=/auth`); the cookie endpoints need `X-Requested-With` or `X-CSRF-Token` (CSRF guard)."),
        ("Passwords", "Forgotten password (an emailed reset link) and password change."),
        ("Passkeys", "WebAuthn passkeys (discoverable credentials): register and remove them when signed in, and sign in with one, " +
            "without a password. Relying party `Auth:Passkeys:RpId` (default: the host of `Auth:AppBaseUrl`); origins " +
            "`Auth:AllowedOrigins` and `Auth:AppBaseUrl`."),
        ("Second factors", "TOTP (an authenticator app, RFC 6238) with single-use recovery codes: setup, confirmation, turning it " +
            "off and new recovery codes. With TOTP on, signin asks for a code in a second step (`POST /auth/signin/mfa`)."),
        ("Admin", "Running the user base; needs the `admin` role. Here: importing users from other systems."),
        ("Discovery", "What other services and clients need to find: the service's home, the OpenID discovery document and the " +
            "signing keys (JWKS) that validate access tokens offline."),
        ("Admin", "Other users' accounts, for callers whose current roles (read from the database on every call, not the " +
            "token's) hold `admin`: list, search, create, change, disable, log out and delete. Every call is audited with the admin."),
        ("Health", "Probes for orchestrators: liveness and readiness."),
        ("Development", "Only where `DevEndpoints:Enabled` is on (Development by default); 404 elsewhere. Never enable in production."),
    ];

    private const string Overview = """
        A token service for single-page apps and the services behind them.

        - **Access token**: a short-lived ES256 JWT in the JSON answer of signin and refresh; send it as `Authorization: Bearer …`.
          Downstream services validate it offline against `/.well-known/openid-configuration` and `/.well-known/jwks.json`.
        - **Refresh token**: an opaque value in an HttpOnly cookie (`__Secure-refresh_token`, `Path=/auth`, `SameSite=Strict`),
          rotated by every `POST /auth/refresh`; presenting a retired one revokes the whole session.
        - **Cookie endpoints** (`/auth/refresh`, `/auth/logout`) need an `X-Requested-With` or `X-CSRF-Token` header, and an `Origin` from
          `Auth:AllowedOrigins` when a browser sends one.
        - **Errors** are RFC 9457 problem documents (`application/problem+json`) with a stable `code`; validation errors add
          `errors`, a map from field to codes. Every answer says `Cache-Control: no-store` except the JWKS and the discovery document.
        - Request bodies are JSON in UTF-8, at most 16 KiB; members an endpoint does not know are refused.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "auth-service",
            Version = Version,
            Summary = "Email + password accounts, short-lived access JWTs and rotating refresh cookies.",
            Description = Overview,
            Contact = new OpenApiContact { Name = "auth-service maintainers" },
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };
        // Relative: every deployment serves this document at its own origin (its Auth:Issuer), so one URL fits all.
        document.Servers =
        [
            new OpenApiServer { Url = "/", Description = "The origin that serves this document (`make run`: `http://localhost:8080`)" },
        ];
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));

        var components = document.Components ??= new OpenApiComponents();
        components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        components.Schemas[ProblemSchema] = Problem();
        components.Schemas[JwksSchema] = Jwks();
        components.Schemas[DiscoverySchema] = Discovery();
        components.Schemas[HealthSchema] = Health();
        components.Headers = new Dictionary<string, IOpenApiHeader>
        {
            [RetryAfterHeader] = new OpenApiHeader
            {
                Description = "Seconds to wait before trying again.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1" },
                Example = 5,
            },
            [WwwAuthenticateHeader] = new OpenApiHeader
            {
                Description = "`Bearer` without a token; `Bearer error=\"invalid_token\"` when a token was sent but refused.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Example = "Bearer error=\"invalid_token\"",
            },
        };

        // The shared error answers operations refer to, then an example for every code any answer lists.
        var responses = document.Paths.Values.Where(p => p.Operations is not null).SelectMany(p => p.Operations!.Values)
            .Where(o => o.Responses is not null).SelectMany(o => o.Responses!.Values).ToList();
        var shared = responses.OfType<OpenApiResponseReference>().Select(r => r.Reference.Id!).ToHashSet();
        components.Responses = ProblemCatalog.AllCodes.Where(code => shared.Contains(OperationDocsTransformer.ComponentName(code)))
            .ToDictionary(OperationDocsTransformer.ComponentName,
                IOpenApiResponse (code) => OperationDocsTransformer.ProblemResponse([new(ProblemCatalog.For(code).Status, code)], document));
        var exampled = responses.Concat(components.Responses.Values).OfType<OpenApiResponse>()
            .Where(r => r.Content is not null).SelectMany(r => r.Content!.Values)
            .Where(m => m.Examples is not null).SelectMany(m => m.Examples!.Keys).ToHashSet();
        components.Examples = ProblemCatalog.AllCodes.Where(exampled.Contains)
            .ToDictionary(OperationDocsTransformer.ComponentName, IOpenApiExample (code) => Example(code));
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem document. `code` is the stable, machine-readable part; `title` is for people.",
        Required = new HashSet<string> { "type", "title", "status", "code", "traceId" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = String("`https://httpstatuses.io/{status}`.", "https://httpstatuses.io/401", "uri"),
            ["title"] = String("A short, human summary; may change between releases.", "Invalid email or password"),
            ["status"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer, Format = "int32", Minimum = "400", Maximum = "599",
                Description = "The HTTP status, repeated.", Examples = [401],
            },
            ["detail"] = String("More specific than `title` where the service has more to say; never reveals whether an account exists.",
                "The refresh token is invalid or expired"),
            ["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The contract's error code; each response lists the codes it can carry.",
                Enum = [.. ProblemCatalog.AllCodes.Select(c => (JsonNode)c)],
                Examples = ["invalid_credentials"],
            },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "`validation_failed` only: each refused member and its codes (`required`, `invalid_format`, `too_short`, " +
                    "`too_long`, `too_common`, `contains_email`, `mismatch`, `unknown_member`).",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                Examples = [new JsonObject { ["password"] = new JsonArray("too_short") }],
            },
            ["traceId"] = String("The W3C trace id of the request; the service logs its details under it.", TraceId),
        },
    };

    private static OpenApiExample Example(string code)
    {
        var doc = ProblemCatalog.For(code);
        var value = new JsonObject
        {
            ["type"] = $"https://httpstatuses.io/{doc.Status}",
            ["title"] = doc.Title,
            ["status"] = doc.Status,
            ["code"] = code,
        };
        if (code == Http.ErrorCodes.ValidationFailed) value["errors"] = new JsonObject { ["email"] = new JsonArray("invalid_format"), ["password"] = new JsonArray("too_short") };
        value["traceId"] = TraceId;
        return new OpenApiExample { Summary = code, Value = value };
    }

    private static OpenApiSchema Jwks() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "The public signing keys (RFC 7517): the key that signs now, the next one ahead of its use, and retired keys " +
            "until their last token has expired.",
        Required = new HashSet<string> { "keys" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["keys"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "A P-256 public key.",
                    Required = new HashSet<string> { "kty", "crv", "x", "y", "kid", "use", "alg" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["kty"] = Const("EC"),
                        ["crv"] = Const("P-256"),
                        ["x"] = String("The x coordinate, base64url.", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
                        ["y"] = String("The y coordinate, base64url.", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
                        ["kid"] = String("The key id, as in the tokens' `kid` header.", "k1-2025-06-01"),
                        ["use"] = Const("sig"),
                        ["alg"] = Const("ES256"),
                    },
                },
            },
        },
    };

    private static OpenApiSchema Discovery() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "OpenID Connect discovery metadata, as much as a JwtBearer `Authority` needs.",
        Required = new HashSet<string> { "issuer", "jwks_uri" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["issuer"] = String("`Auth:Issuer`: the tokens' `iss`.", "https://auth.example.com", "uri"),
            ["jwks_uri"] = String("Where the signing keys are.", "https://auth.example.com/.well-known/jwks.json", "uri"),
            ["id_token_signing_alg_values_supported"] = Strings("ES256"),
            ["token_endpoint_auth_methods_supported"] = Strings("none"),
            ["subject_types_supported"] = Strings("public"),
            ["response_types_supported"] = Strings("token"),
            ["claims_supported"] = Strings("iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp", "email", "email_verified"),
        },
    };

    private static OpenApiSchema Health() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "The probe's verdict.",
        Required = new HashSet<string> { "status" },
        Properties = new Dictionary<string, IOpenApiSchema> { ["status"] = Const("ok") },
    };

    private static OpenApiSchema String(string description, string example, string? format = null) => new()
    {
        Type = JsonSchemaType.String, Description = description, Format = format, Examples = [example],
    };

    private static OpenApiSchema Const(string value) => new() { Type = JsonSchemaType.String, Const = value };

    private static OpenApiSchema Strings(params string[] values) => new()
    {
        Type = JsonSchemaType.Array,
        Items = new OpenApiSchema { Type = JsonSchemaType.String },
        Examples = [new JsonArray([.. values.Select(v => (JsonNode)v)])],
    };
}
