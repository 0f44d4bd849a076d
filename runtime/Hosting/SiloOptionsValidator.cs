using Microsoft.Extensions.Options;

namespace AgentGrains.Runtime.Hosting;

/// <summary>Checks <see cref="SiloOptions"/> at start-up and says how to fix each problem.</summary>
internal sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        var failures = new List<string>();
        if (options.IdleTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Silo:IdleTimeout is {options.IdleTimeout}; set it to a positive duration such as 00:15:00.");
        }

        if (options.ResponseTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Silo:ResponseTimeout is {options.ResponseTimeout}; set it to a positive duration such as 00:01:00.");
        }

        if (options.RecoveryInterval <= TimeSpan.Zero)
        {
            failures.Add($"Silo:RecoveryInterval is {options.RecoveryInterval}; set it to a positive duration such as 00:00:30.");
        }

        if (options.ReminderPollInterval <= TimeSpan.Zero)
        {
            failures.Add($"Silo:ReminderPollInterval is {options.ReminderPollInterval}; set it to a positive duration such as 00:00:01.");
        }

        if (options.HeartbeatInterval <= TimeSpan.Zero)
        {
            failures.Add($"Silo:HeartbeatInterval is {options.HeartbeatInterval}; set it to a positive duration such as 00:00:02.");
        }

        if (options.DeathTimeout < options.HeartbeatInterval * 2)
        {
            failures.Add($"Silo:DeathTimeout ({options.DeathTimeout}) must be at least twice Silo:HeartbeatInterval ({options.HeartbeatInterval}); raise the timeout or shorten the interval.");
        }

        if (options.MaxActivations <= 0)
        {
            failures.Add($"Silo:MaxActivations is {options.MaxActivations}; set it to a positive number such as 100000.");
        }

        if (options.SiloId is { } id && id.Length > 0 && string.IsNullOrWhiteSpace(id))
        {
            failures.Add("Silo:SiloId is blank; remove it (a unique id is generated) or set a name.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
