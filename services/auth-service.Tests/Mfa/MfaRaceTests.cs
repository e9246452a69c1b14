using System.Net;
using AuthService.Tests.Infrastructure;

namespace AuthService.Tests.Mfa;

/// <summary>Two replicas (two service instances on one database) each offered the same code at once: exactly one accepts it.</summary>
public sealed class MfaReplicasFixture : IAsyncLifetime
{
    public AuthServiceFactory A { get; private set; } = null!;
    public AuthServiceFactory B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync();
        A = new AuthServiceFactory(database);
        B = new AuthServiceFactory(database);
        var now = DateTimeOffset.UtcNow;
        A.Clock.Set(now);
        B.Clock.Set(now);
        await A.StartAsync();
        await B.StartAsync();
    }

    public void NextStepOnBoth()
    {
        MfaKit.NextStep(A.Clock);
        B.Clock.Set(A.Clock.GetUtcNow());
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

[Trait("Category", "Slow")]
public sealed class MfaRaceTests(MfaReplicasFixture replicas) : IClassFixture<MfaReplicasFixture>
{
    private readonly AuthClient onA = new(replicas.A);
    private readonly AuthClient onB = new(replicas.B);

    [Fact]
    public async Task TwoReplicas_RacingOneTotpCode_ExactlyOneSignsIn()
    {
        var user = await MfaKit.TotpUserAsync(onA);
        for (var round = 0; round < 3; round++)
        {
            replicas.NextStepOnBoth();
            var code = MfaKit.CurrentCode(user, replicas.A.Clock);
            var tokens = await Task.WhenAll(MfaKit.MfaTokenAsync(onA, user.Email), MfaKit.MfaTokenAsync(onB, user.Email));
            var answers = await Task.WhenAll(
                MfaKit.SigninMfaAsync(onA, tokens[0], code), MfaKit.SigninMfaAsync(onB, tokens[1], code),
                MfaKit.SigninMfaAsync(onA, tokens[0], code), MfaKit.SigninMfaAsync(onB, tokens[1], code));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
                await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "mfa_invalid");
        }
    }

    [Fact]
    public async Task ParallelUsesOfOneRecoveryCode_ExactlyOneWins()
    {
        var user = await MfaKit.TotpUserAsync(onA);
        // Four signins and four codes: eight attempts, within the email's lockout budget (10).
        var tokens = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => MfaKit.MfaTokenAsync(i % 2 == 0 ? onA : onB, user.Email)));
        var answers = await Task.WhenAll(tokens.Select((t, i) =>
            MfaKit.SigninMfaAsync(i % 2 == 0 ? onA : onB, t, recoveryCode: user.RecoveryCodes[3])));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "mfa_invalid");
    }

    [Fact]
    public async Task ParallelSensitiveOperations_WithOneCode_ExactlyOneSucceeds()
    {
        var user = await MfaKit.TotpUserAsync(onA);
        replicas.NextStepOnBoth();
        var code = MfaKit.CurrentCode(user, replicas.A.Clock);
        var answers = await Task.WhenAll(
            onA.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", user.Session.AccessToken, new { code }),
            onB.SendWithBearerAsync(HttpMethod.Post, "/auth/mfa/recovery-codes", user.Session.AccessToken, new { code }));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        await ProblemAssert.IsProblemAsync(answers.Single(a => a.StatusCode != HttpStatusCode.OK), HttpStatusCode.Unauthorized, "mfa_invalid");
    }
}
