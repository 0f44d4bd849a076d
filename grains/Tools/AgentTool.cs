using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Tools;

/// <summary>A typed tool an agent's model can call: a C# method with a <see cref="DescriptionAttribute"/>.</summary>
/// <remarks>
/// <para>The schema the model sees is built from the method's parameter types and their
/// <see cref="DescriptionAttribute"/>s by <see cref="AIFunctionFactory"/>, which
/// Microsoft.Extensions.AI.Abstractions 10.11.0 ships. It was chosen over calling
/// System.Text.Json's <c>JsonSchemaExporter</c> directly because it uses that exporter underneath
/// (through <see cref="AIJsonUtilities"/>) and also binds the model's JSON arguments to the
/// parameters with the same serializer options, so the schema advertised and the binder that
/// rejects bad arguments cannot disagree.</para>
/// <para>Results are formatted with the invariant culture so the text stored in the history does
/// not depend on the silo's locale.</para>
/// </remarks>
public sealed class AgentTool
{
    /// <summary>How long a call may run when the tool does not say otherwise: 10 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private AgentTool(AIFunction function, TimeSpan timeout)
    {
        Function = function;
        Timeout = timeout;
    }

    /// <summary>The name the model calls the tool by.</summary>
    public string Name => Function.Name;

    /// <summary>What the tool does, as shown to the model.</summary>
    public string Description => Function.Description;

    /// <summary>How long one call may run before it is abandoned and reported to the model as an error.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The function given to the model (schema) and invoked for its calls.</summary>
    public AIFunction Function { get; }

    /// <summary>Creates a tool from a method; its description comes from the method's <see cref="DescriptionAttribute"/>.</summary>
    /// <param name="method">A delegate to the tool method (static or bound to its instance).</param>
    /// <param name="name">The tool's name as the model sees it (lowercase, no spaces, e.g. <c>calculator</c>).</param>
    /// <param name="timeout">The per-call timeout; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="ArgumentException">The name is blank, the timeout is not positive, or the method has no description.</exception>
    public static AgentTool Create(Delegate method, string name, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var effective = timeout ?? DefaultTimeout;
        if (effective <= TimeSpan.Zero)
        {
            throw new ArgumentException($"The timeout of tool '{name}' must be positive.", nameof(timeout));
        }

        if (method.Method.GetCustomAttribute<DescriptionAttribute>() is null)
        {
            throw new ArgumentException(
                $"Tool method {method.Method.DeclaringType?.Name}.{method.Method.Name} has no [Description]; the model needs one to know when to call '{name}'.",
                nameof(method));
        }

        var function = AIFunctionFactory.Create(method, new AIFunctionFactoryOptions
        {
            Name = name,
            // Keep the method's return value as is: the registry formats it for the history
            // (a string stays a string instead of becoming a quoted JSON string).
            MarshalResult = static (result, _, _) => new ValueTask<object?>(result),
        });
        return new AgentTool(function, effective);
    }
}
