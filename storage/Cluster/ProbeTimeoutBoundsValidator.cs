using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace AgentGrains.Storage.Cluster;

/// <summary>
/// Refuses probe timeout bounds that cannot hold, which the fixed <see cref="FailureDetectionDefaults.MaxProbeTimeout"/>
/// produces when only <c>ProbeTimeout</c> is raised, and says which key to set.
/// </summary>
internal sealed class ProbeTimeoutBoundsValidator : IValidateOptions<ClusterMembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterMembershipOptions options)
    {
        var failures = new List<string>();
        if (options.MaxProbeTimeout < options.ProbeTimeout)
        {
            failures.Add(
                $"{FailureDetectionDefaults.SectionName}:MaxProbeTimeout ({options.MaxProbeTimeout}) is shorter than ProbeTimeout ({options.ProbeTimeout}); " +
                $"set {FailureDetectionDefaults.SectionName}:MaxProbeTimeout to at least ProbeTimeout (Orleans' own default is four times ProbeTimeout).");
        }

        if (options.MinProbeTimeout > options.MaxProbeTimeout)
        {
            failures.Add(
                $"{FailureDetectionDefaults.SectionName}:MinProbeTimeout ({options.MinProbeTimeout}) is longer than MaxProbeTimeout ({options.MaxProbeTimeout}); " +
                $"lower {FailureDetectionDefaults.SectionName}:MinProbeTimeout or raise MaxProbeTimeout (Orleans' own MinProbeTimeout is half of ProbeTimeout).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
