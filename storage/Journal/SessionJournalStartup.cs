using Microsoft.Extensions.Hosting;

namespace AgentGrains.Storage.Journal;

/// <summary>Opens and migrates the session journal while the host starts, so a wrong connection string or an unreachable server stops the start with its reason.</summary>
/// <remarks>
/// Correctness does not depend on it: the journal initialises itself before its first read or
/// commit anyway, whatever order hosted services start in (an Orleans silo may activate a session,
/// through a reminder, before this service has run). This service only moves the work, and its
/// failure, to start-up, where an operator sees it. Stopping is the container's disposal of the
/// journal, after every hosted service (the silo included) has stopped, so the last commits of
/// deactivating sessions still land.
/// </remarks>
internal sealed class SessionJournalStartup(ISessionJournal journal) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        journal is IInitializableJournal initializable ? initializable.InitializeAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
