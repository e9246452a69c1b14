using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using AuthService.Http;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Docs;

/// <summary>
/// The served OpenAPI document: equal to the committed docs/openapi.json, and complete (summaries, descriptions,
/// every problem with its codes and examples, the cookie and CSRF header, security stated on every operation,
/// null only where it is a real answer).
/// </summary>
public sealed class OpenApiDocumentTests(AuthServiceFixture fixture) : IClassFixture<AuthServiceFixture>
{
    /// <summary>Set to 1 (`make openapi`) to write the served document to docs/openapi.json instead of comparing.</summary>
    public const string WriteVariable = "AUTH_WRITE_OPENAPI";

    private static readonly string CommittedPath = Path.Combine(RepositoryRoot.Path, "docs", "openapi.json");

    private async Task<ApiDocument> ServedAsync() =>
        new(await fixture.NewClient().Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json"));

    private static string Normalized(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n";

    [Fact]
    public async Task ServedDocument_EqualsTheCommittedFile()
    {
        var served = Normalized(await fixture.NewClient().Http.GetStringAsync("/openapi/v1.json"));
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, served);
            Console.WriteLine($"Wrote {CommittedPath}");
            return;
        }

        var committed = File.Exists(CommittedPath) ? Normalized(await File.ReadAllTextAsync(CommittedPath)) : "";
        if (served == committed) return;
        var servedLines = served.Split('\n');
        var committedLines = committed.Split('\n');
        var line = Enumerable.Range(0, Math.Max(servedLines.Length, committedLines.Length))
            .First(i => i >= servedLines.Length || i >= committedLines.Length || servedLines[i] != committedLines[i]);
        Assert.Fail($"docs/openapi.json is not the document the service serves (first difference at line {line + 1}: " +
                    $"served '{servedLines.ElementAtOrDefault(line)?.Trim()}', committed '{committedLines.ElementAtOrDefault(line)?.Trim()}'). " +
                    "Run `make openapi` to regenerate it, review the diff, and commit it.");
    }

    [Fact]
    public async Task EveryOperation_HasSummaryDescriptionTagsAndStatesItsSecurity()
    {
        var document = await ServedAsync();
        var tags = document.Root.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => t);
        Assert.All(tags.Values, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("description").GetString())));
        var operations = document.Operations().ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} operations");
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{name}: no summary");
            Assert.True(operation.GetProperty("summary").GetString()!.Length <= 60, $"{name}: the summary is a paragraph");
            Assert.True(operation.GetProperty("description").GetString()!.Length > 20, $"{name}: no description");
            Assert.All(operation.GetProperty("tags").EnumerateArray(), t => Assert.True(tags.ContainsKey(t.GetString()!), $"{name}: tag {t} undescribed"));
            Assert.True(operation.TryGetProperty("security", out var security), $"{name}: security not stated (public operations say [])");
            var bearer = security.EnumerateArray().Any(r => r.TryGetProperty("Bearer", out _));
            Assert.True(bearer == (path is "/auth/me" or "/auth/me/export" or "/auth/logout-all" or "/auth/password/change" or "/auth/email/change" or "/auth/sessions"
                    or "/auth/sessions/{id}" or "/auth/passkeys" or "/auth/passkeys/{id}" or "/auth/passkeys/register" or "/auth/passkeys/register/options"
                    || path.StartsWith("/auth/mfa/", StringComparison.Ordinal) || path.StartsWith("/admin/", StringComparison.Ordinal)),
                $"{name}: bearer requirement {bearer}");
            foreach (var (status, response) in document.Responses(operation))
            {
                var description = response.GetProperty("description").GetString();
                Assert.False(string.IsNullOrWhiteSpace(description) || description is "OK" or "Accepted" or "No Content" or "Not Modified",
                    $"{name} {status}: description '{description}'");
            }
            if (operation.TryGetProperty("parameters", out var parameters))
                Assert.All(parameters.EnumerateArray(), p => Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("description").GetString()), $"{name}: {p}"));
        }
    }

    [Fact]
    public async Task EveryErrorResponse_IsAProblemListingItsCodes_WithAnExampleOfEach()
    {
        var document = await ServedAsync();
        var examples = document.Root.GetProperty("components").GetProperty("examples");
        foreach (var (path, method, operation) in document.Operations())
        {
            var errors = document.Responses(operation).Where(r => int.Parse(r.Status) >= 400).ToList();
            Assert.Contains(errors, e => e.Status == "500");
            Assert.Equal(path != "/healthz", errors.Any(e => e.Status == "503"));
            foreach (var (status, response) in errors)
            {
                var name = $"{method.ToUpperInvariant()} {path} {status}";
                var codes = document.Codes(response);
                Assert.True(codes.Length > 0, $"{name}: no codes");
                var content = response.GetProperty("content").GetProperty("application/problem+json");
                Assert.Equal("#/components/schemas/Problem", content.GetProperty("schema").GetProperty("allOf")[0].GetProperty("$ref").GetString());
                foreach (var code in codes)
                {
                    Assert.Contains(code, ErrorCodeValues());
                    Assert.Contains($"`{code}`", response.GetProperty("description").GetString());
                    var example = document.Resolve(content.GetProperty("examples").GetProperty(code)).GetProperty("value");
                    Assert.Equal(code, example.GetProperty("code").GetString());
                    Assert.Equal(int.Parse(status), example.GetProperty("status").GetInt32());
                }
            }
        }
        Assert.NotEqual(JsonValueKind.Undefined, examples.ValueKind);
    }

    [Fact]
    public async Task ProblemSchema_HasTheContractMembers_AndEveryErrorCode()
    {
        var problem = (await ServedAsync()).Root.GetProperty("components").GetProperty("schemas").GetProperty("Problem");
        var properties = problem.GetProperty("properties");
        foreach (var member in new[] { "type", "title", "status", "code", "errors", "traceId" })
            Assert.True(properties.TryGetProperty(member, out _), $"Problem lacks {member}");
        Assert.Equal(ErrorCodeValues().Order(), properties.GetProperty("code").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.Equal(["code", "status", "title", "traceId", "type"], problem.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order());
    }

    [Fact]
    public async Task RequestBodies_NameTheirRequiredMembers_WithExamples_AndRefuseOthers()
    {
        var document = await ServedAsync();
        var schemas = document.Root.GetProperty("components").GetProperty("schemas");
        var expectedRequired = new Dictionary<string, string[]>
        {
            ["/auth/signup"] = ["email", "password"], ["/auth/verify-email"] = ["token"], ["/auth/resend-verification"] = ["email"],
            ["/auth/signin"] = ["email", "password"], ["/auth/me"] = ["displayName"], ["/auth/password/forgot"] = ["email"],
            ["/auth/password/reset"] = ["newPassword", "token"], ["/auth/password/change"] = ["currentPassword", "newPassword"],
            ["/admin/users"] = ["email"], ["/admin/users/{id}"] = [], ["/admin/users/import"] = ["users"],
            ["/auth/email/change"] = ["newEmail", "password"], ["/auth/email/confirm"] = ["token"], ["delete /auth/me"] = ["password"],
            ["/auth/passkeys/register"] = ["credential"], ["/auth/passkeys/signin"] = ["challengeId", "credential"],
            ["/auth/mfa/totp/confirm"] = ["code"], ["/auth/mfa/totp"] = ["code", "password"], ["/auth/mfa/recovery-codes"] = ["code"],
            ["/auth/signin/mfa"] = ["mfaToken"],
        };
        var withBodies = document.Operations().Where(o => o.Operation.TryGetProperty("requestBody", out _)).ToList();
        Assert.Equal(expectedRequired.Keys.Where(k => k.StartsWith('/')).Order(), withBodies.Select(o => o.Path).Distinct().Order());
        foreach (var (path, method, operation) in withBodies)
        {
            var schema = document.Resolve(operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
            var required = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(e => e.GetString()!).Order().ToArray() : [];
            Assert.Equal(expectedRequired.GetValueOrDefault($"{method} {path}") ?? expectedRequired[path], required);
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean(), $"{path}: unknown members are refused");
            var example = schema.GetProperty("examples")[0];
            foreach (var property in schema.GetProperty("properties").EnumerateObject())
            {
                Assert.Equal(JsonValueKind.String, property.Value.GetProperty("type").ValueKind); // one type: never ["null", …]
                Assert.False(string.IsNullOrWhiteSpace(property.Value.GetProperty("description").GetString()), $"{path}.{property.Name}");
                Assert.True(example.TryGetProperty(property.Name, out _), $"{path}: the example lacks {property.Name}");
            }
        }
        Assert.NotEqual(JsonValueKind.Undefined, schemas.ValueKind);
    }

    [Fact]
    public async Task NullableMembers_AreExactlyThoseWhereNullIsAnAnswer()
    {
        var schemas = (await ServedAsync()).Root.GetProperty("components").GetProperty("schemas");
        var nullable = new List<string>();
        void Walk(string where, JsonElement schema)
        {
            if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.GetString() == "null"))
                nullable.Add(where);
            if (schema.TryGetProperty("properties", out var properties))
                foreach (var p in properties.EnumerateObject()) Walk($"{where}.{p.Name}", p.Value);
            if (schema.TryGetProperty("items", out var items)) Walk($"{where}[]", items);
        }
        foreach (var schema in schemas.EnumerateObject()) Walk(schema.Name, schema.Value);

        Assert.Equal(
            ["AdminUserPage.nextCursor", "AdminUserResponse.disabledAt", "AdminUserResponse.displayName", "AdminUserResponse.lastSigninAt",
             "ExportedAuditEvent.ip", "ExportedAuditEvent.userAgent",
             "ImportSkipped.email", "OutboxEmail.sentAt", "PasskeyResponse.lastUsedAt", "RootLinks.demo", "RootLinks.docs", "SessionResponse.ip", "SessionResponse.userAgent",
             "UserResponse.displayName"],
            nullable.Order());
    }

    [Fact]
    public async Task CookieEndpoints_DescribeTheRefreshCookie_TheCsrfHeader_AndSetCookie()
    {
        var document = await ServedAsync();
        foreach (var path in new[] { "/auth/refresh", "/auth/logout" })
        {
            var operation = document.Operation(path, "post");
            var parameters = operation.GetProperty("parameters").EnumerateArray().ToList();
            Assert.Contains(parameters, p => p.GetProperty("in").GetString() == "cookie" && p.GetProperty("name").GetString() == AuthClient.CookieName);
            foreach (var header in new[] { "X-Requested-With", "X-CSRF-Token" }) // either will do, so each names the other
                Assert.Contains(parameters, p => p.GetProperty("in").GetString() == "header" && p.GetProperty("name").GetString() == header
                                                  && p.GetProperty("description").GetString()!.Contains("`X-", StringComparison.Ordinal));
            Assert.True(document.Documents(operation, 403, ErrorCodes.CsrfFailed), $"{path}: 403 csrf_failed");
        }
        foreach (var (path, status) in new[] { ("/auth/signin", "200"), ("/auth/refresh", "200"), ("/auth/refresh", "401"), ("/auth/logout", "204"), ("/auth/logout-all", "204") })
        {
            var response = document.Resolve(document.Operation(path, "post").GetProperty("responses").GetProperty(status));
            Assert.Contains(AuthClient.CookieName, response.GetProperty("headers").GetProperty("Set-Cookie").GetProperty("description").GetString());
        }
        Assert.True(document.Documents(document.Operation("/auth/refresh", "post"), 409, ErrorCodes.RefreshConflict));
        Assert.True(document.Resolve(document.Operation("/auth/refresh", "post").GetProperty("responses").GetProperty("409"))
            .GetProperty("headers").TryGetProperty("Retry-After", out _));
    }

    [Fact]
    public async Task Info_HasLicenceContactAndServer()
    {
        var root = (await ServedAsync()).Root;
        var info = root.GetProperty("info");
        Assert.Equal("auth-service", info.GetProperty("title").GetString());
        Assert.Equal(typeof(Program).Assembly.GetName().Version!.ToString(3), info.GetProperty("version").GetString());
        Assert.Equal("MIT", info.GetProperty("license").GetProperty("identifier").GetString());
        Assert.False(string.IsNullOrWhiteSpace(info.GetProperty("contact").GetProperty("name").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(info.GetProperty("description").GetString()));
        // Relative, so the committed document fits every deployment and the test host alike.
        Assert.Equal("/", Assert.Single(root.GetProperty("servers").EnumerateArray()).GetProperty("url").GetString());
    }

    private static IEnumerable<string> ErrorCodeValues() =>
        typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
}
