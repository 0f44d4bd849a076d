namespace AgentGrains.Tests.Fault;

/// <summary>How <see cref="WebhookReceiver"/> holds its very first attempt, to put a crash at a chosen point of a side-effecting call.</summary>
public enum WebhookHold
{
    /// <summary>Every attempt is answered at once.</summary>
    None,

    /// <summary>The first attempt is held before its effect is applied; once released it ends unanswered and without effect, as if it never got through.</summary>
    BeforeEffect,

    /// <summary>The first attempt applies its effect and is then held; once released it ends unanswered: the effect happened, the caller never learned it.</summary>
    AfterEffect,
}
