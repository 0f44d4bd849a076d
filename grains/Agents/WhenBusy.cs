namespace AgentGrains.Grains.Agents;

/// <summary>What a session does with a user message that arrives while one of its runs is active.</summary>
public enum WhenBusy
{
    /// <summary>Queue it; its run starts when the active one ends (default).</summary>
    Enqueue = 0,

    /// <summary>Refuse it (the gateway answers 409); nothing is stored.</summary>
    Reject = 1,

    /// <summary>Cancel the active run (reason: interrupted) and start the new one at once.</summary>
    Interrupt = 2,
}
