namespace AgentGrains.Grains.Models;

/// <summary>Which model answers agent sessions (<c>Model:Provider</c>).</summary>
public enum ModelProvider
{
    /// <summary>The deterministic, offline <see cref="ScriptedChatClient"/>: the default.</summary>
    Scripted,

    /// <summary>An OpenAI-compatible chat completions API through <see cref="OpenAIChatClient"/>: OpenAI itself, or any server at <c>Model:BaseUrl</c>.</summary>
    OpenAI,
}
