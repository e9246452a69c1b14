using Microsoft.Extensions.Options;

namespace AuthService.Docs;

/// <summary>The OpenAPI document (always served: API.md lists it), the reference at /docs (when enabled) and GET /.</summary>
public static class DocsRegistration
{
    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocsOptions>()
            .Configure(o => o.Enabled = builder.Environment.IsDevelopment()) // the default; Docs:Enabled overrides it either way
            .BindConfiguration(DocsOptions.Section);
        builder.Services.AddOpenApi(o => o
            .AddBearerSecurity()
            .AddSchemaTransformer<SchemaDocsTransformer>()
            .AddOperationTransformer<OperationDocsTransformer>()
            .AddDocumentTransformer<ApiDocumentTransformer>());
        return builder;
    }

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapRootPage();
        if (app.ServiceProvider.GetRequiredService<IOptions<DocsOptions>>().Value.Enabled) app.MapApiReference();
        return app;
    }
}
