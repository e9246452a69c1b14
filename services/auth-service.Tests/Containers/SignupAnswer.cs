using System.Net;

namespace AuthService.Tests.Containers;

/// <summary>What one signup got during the database restart: an HTTP answer (kept whole, for the problem checks) or a transport failure.</summary>
public sealed record SignupAnswer(string Email, TimeSpan At, HttpStatusCode Status, HttpResponseMessage? Response, string Body, string? Failure);
