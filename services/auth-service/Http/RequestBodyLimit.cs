using Microsoft.AspNetCore.Http.Metadata;

namespace AuthService.Http;

/// <summary>
/// Endpoint metadata that raises the request body limit (16 KiB, <see cref="HttpPipeline.MaxBodyBytes"/>) for one
/// endpoint: <see cref="HttpPipeline"/>'s body check and Kestrel's limit for the request (a chunked body has no
/// Content-Length to check up front) both take it. Every other endpoint keeps the 16 KiB limit and its 413 problem.
/// </summary>
public sealed record RequestBodyLimit(long Bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => Bytes;
}
