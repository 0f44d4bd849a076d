using Microsoft.Extensions.Configuration;

namespace AgentGrains.Tests.Gateway;

/// <summary>A configuration source whose settings a test removes while the app runs, as an operator's edit of a reloaded file does.</summary>
public sealed class RevocableSettings(IDictionary<string, string?> settings) : ConfigurationProvider, IConfigurationSource
{
    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <inheritdoc />
    public override void Load() => Data = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase);

    /// <summary>Removes every setting and tells the configuration it changed.</summary>
    public void RemoveAll()
    {
        settings.Clear();
        Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        OnReload();
    }
}
