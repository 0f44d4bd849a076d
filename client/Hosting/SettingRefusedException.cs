namespace AgentGrains.Client.Hosting;

/// <summary>A setting read while the host is composed has a value that cannot work; its message says which setting and what to set.</summary>
/// <remarks>The executables print the message as one line (<see cref="ExecutableHost.TryBuild"/>).</remarks>
/// <param name="message">Names the setting, its value and what to set instead.</param>
public sealed class SettingRefusedException(string message) : InvalidOperationException(message);
