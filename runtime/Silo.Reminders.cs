using AgentGrains.Runtime.Reminders;

namespace AgentGrains.Runtime;

public sealed partial class Silo
{
    // Reminders claimed per transaction: large enough that a backlog after an outage drains in a few
    // polls, small enough that one poll's transaction stays short.
    private const int ReminderBatchSize = 256;

    private Task? reminderPoller;

    private IReminderStorage Reminders => (IReminderStorage)Storage;

    private void StartReminderPoller()
    {
        if (!IsClient)
        {
            reminderPoller = Task.Run(() => PollRemindersAsync(stopping.Token), CancellationToken.None);
        }
    }

    private async Task PollRemindersAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ReminderPollInterval, TimeProvider);
        try
        {
            do
            {
                if (status == SiloStatus.Active)
                {
                    await FireDueRemindersAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Turns due reminders into inbox messages (one transaction per batch), then makes their grains run them.</summary>
    private async Task FireDueRemindersAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            IReadOnlyList<Storage.ReminderRecord> fired;
            try
            {
                fired = await Reminders.FireDueRemindersAsync(TimeProvider.GetUtcNow(), ReminderBatchSize, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentGrainsException ex)
            {
                LogReminderPollFailed(logger, SiloId, ex);
                return;
            }

            // The ticks are durable now; a lost wake-up only delays them until a recovery scan.
            foreach (var grain in fired.Select(r => r.Grain).Distinct())
            {
                DeliverTick(grain);
            }

            if (fired.Count < ReminderBatchSize)
            {
                return;
            }
        }
    }

    private void DeliverTick(GrainId grain)
    {
        if (Directory.CanHost(grain.Type))
        {
            // Claims the grain, or forwards to its live owner when the claim names one.
            try
            {
                Directory.GetOrCreate(grain).Pull();
            }
            catch (ArgumentException ex)
            {
                LogActivationFailed(grain, ex);
            }

            return;
        }

        _ = WakeHostAsync(grain);
    }

    private async Task WakeHostAsync(GrainId grain)
    {
        try
        {
            Signals.Wake(await FindHostAsync(grain).ConfigureAwait(false), grain);
        }
        catch (Exception ex) when (ex is AgentGrainsException or OperationCanceledException)
        {
            LogActivationFailed(grain, ex);
        }
    }
}
