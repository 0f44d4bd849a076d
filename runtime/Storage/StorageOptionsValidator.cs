using Microsoft.Extensions.Options;

namespace AgentGrains.Runtime.Storage;

/// <summary>Checks <see cref="StorageOptions"/> at start-up and says how to fix each problem.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"Storage:Provider is '{options.Provider}'; set it to Sqlite.");
        }

        if (options.Provider == StorageProvider.Sqlite && string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Storage:Path is empty; set it to a writable file path such as data/agentgrains.db.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
