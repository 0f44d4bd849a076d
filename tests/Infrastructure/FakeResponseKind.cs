namespace AgentGrains.Tests.Infrastructure;

/// <summary>The kinds of answer the fake OpenAI server gives.</summary>
public enum FakeResponseKind
{
    /// <summary>A 200 with a chat completion (text, tool calls or both).</summary>
    Reply,

    /// <summary>An HTTP error status with a body.</summary>
    Error,

    /// <summary>No answer until the request is aborted.</summary>
    Hang,
}
