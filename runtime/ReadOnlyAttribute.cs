namespace AgentGrains.Runtime;

/// <summary>Marks a grain interface method that does not change the grain's state.</summary>
/// <remarks>
/// A read-only call is transient: it is not written to the durable inbox, it is delivered to the
/// current activation in memory, and it may interleave with a running turn at its await points
/// (still on the activation's single-threaded scheduler). Its arguments and result are passed
/// by reference, not copied.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class ReadOnlyAttribute : Attribute;
