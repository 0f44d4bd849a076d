namespace AgentGrains.Storage.Journal;

/// <summary>Runs a journal's initialisation once, shared by every caller, and again after it failed.</summary>
/// <remarks>
/// <para>The work runs under the journal's own token, not a caller's: one caller giving up must not
/// cancel the initialisation others wait for. A caller's token bounds only its own wait.</para>
/// <para>A failure is not remembered: the database may be reachable at the next call (a server
/// still starting), and a journal that failed once must not stay broken for the process's life.</para>
/// </remarks>
internal sealed class JournalStartup(Func<CancellationToken, Task> initialize) : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private Task? running;
    private volatile bool completed;

    /// <summary>Completes once the initialisation has succeeded.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (completed)
        {
            return Task.CompletedTask;
        }

        Task task;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(stopping.IsCancellationRequested, this);
            if (running is null || running.IsFaulted || running.IsCanceled)
            {
                // Off the caller's thread: the work may block (SQLite) and must not run under the lock.
                running = Task.Run(RunAsync, CancellationToken.None);
            }

            task = running;
        }

        return task.WaitAsync(cancellationToken);
    }

    /// <summary>Cancels an initialisation in progress and waits until it has stopped; later calls of <see cref="EnsureAsync"/> throw.</summary>
    public async Task StopAsync()
    {
        Task? task;
        lock (gate)
        {
            stopping.Cancel();
            task = running;
        }

        if (task is not null)
        {
            // Its failure, if any, was seen by the callers that waited for it; stopping only needs it ended.
            await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => stopping.Dispose();

    private async Task RunAsync()
    {
        await initialize(stopping.Token).ConfigureAwait(false);
        completed = true;
    }
}
