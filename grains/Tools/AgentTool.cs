using System.ComponentModel;
using System.Reflection;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Tools;

/// <summary>A typed tool an agent's model can call: a C# method with a <see cref="DescriptionAttribute"/>, and its policy.</summary>
/// <remarks>
/// <para>The schema the model sees is built from the method's parameter types and their
/// <see cref="DescriptionAttribute"/>s by <see cref="AIFunctionFactory"/>, which
/// Microsoft.Extensions.AI.Abstractions 10.11.0 ships. It was chosen over calling
/// System.Text.Json's <c>JsonSchemaExporter</c> directly because it uses that exporter underneath
/// (through <see cref="AIJsonUtilities"/>) and also binds the model's JSON arguments to the
/// parameters with the same serializer options, so the schema advertised and the binder that
/// rejects bad arguments cannot disagree.</para>
/// <para>Parameters of type <see cref="ToolContext"/> and <see cref="CancellationToken"/> are bound
/// by the runtime and are not in the schema.</para>
/// <para>Results are formatted with the invariant culture so the text stored in the history does
/// not depend on the silo's locale.</para>
/// </remarks>
public sealed class AgentTool
{
    /// <summary>How long a call may run when the tool does not say otherwise: 10 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const int MaxNameLength = 64;

    private AgentTool(AIFunction function, AgentToolSettings settings, string? alias = null)
    {
        Function = function;
        Settings = settings;
        Alias = alias;
    }

    /// <summary>Another name agent definitions may use for the tool (an MCP tool's <c>mcp:server/tool</c>); null for none.</summary>
    public string? Alias { get; }

    /// <summary>The name the model calls the tool by.</summary>
    public string Name => Function.Name;

    /// <summary>What the tool does, as shown to the model.</summary>
    public string Description => Function.Description;

    /// <summary>The tool's policy.</summary>
    public AgentToolSettings Settings { get; }

    /// <summary>How long one call may run before it is abandoned and reported to the model as an error.</summary>
    public TimeSpan Timeout => Settings.Timeout;

    /// <summary>How many times one session may call the tool; null is unlimited.</summary>
    public int? MaxCallsPerSession => Settings.MaxCallsPerSession;

    /// <summary>How much harm a wrong call can do; shown to approvers.</summary>
    public ToolRisk Risk => Settings.Risk;

    /// <summary>Whether a call changes something outside the run; such a tool honours <see cref="ToolContext.IdempotencyKey"/>.</summary>
    public bool HasSideEffects => Settings.HasSideEffects;

    /// <summary>Whether each call waits for a person's approval before it runs.</summary>
    public bool NeedsConfirmation => Settings.NeedsConfirmation;

    /// <summary>The function given to the model (schema) and invoked for its calls.</summary>
    public AIFunction Function { get; }

    /// <summary>Creates a tool from a method with the default policy and the given timeout.</summary>
    /// <param name="method">A delegate to the tool method (static or bound to its instance).</param>
    /// <param name="name">The tool's name as the model sees it (1 to 64 ASCII letters, digits, <c>_</c> or <c>-</c>, e.g. <c>calculator</c>).</param>
    /// <param name="timeout">The per-call timeout; <see cref="DefaultTimeout"/> when null.</param>
    /// <exception cref="ArgumentException">The name is not valid, the timeout is not positive, or the method has no description.</exception>
    public static AgentTool Create(Delegate method, string name, TimeSpan? timeout = null) =>
        Create(method, name, new AgentToolSettings { Timeout = timeout ?? DefaultTimeout });

    /// <summary>Creates a tool from a method with an explicit policy (any <see cref="AgentToolAttribute"/> on the method is ignored).</summary>
    /// <param name="method">A delegate to the tool method (static or bound to its instance).</param>
    /// <param name="name">The tool's name as the model sees it.</param>
    /// <param name="settings">The tool's policy.</param>
    /// <exception cref="ArgumentException">The name or a setting is not valid, or the method has no description.</exception>
    public static AgentTool Create(Delegate method, string name, AgentToolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Build(method.Method, method.Target, name, settings);
    }

    /// <summary>Creates a tool from a method marked with <see cref="AgentToolAttribute"/>, which gives its name and policy.</summary>
    /// <param name="method">A delegate to the tool method (static or bound to its instance).</param>
    /// <exception cref="ArgumentException">The method has no <see cref="AgentToolAttribute"/> or no description, or the attribute's values are not valid.</exception>
    public static AgentTool FromMethod(Delegate method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var attribute = method.Method.GetCustomAttribute<AgentToolAttribute>()
            ?? throw new ArgumentException(
                $"Method {Describe(method.Method)} has no [AgentTool(\"name\")]; mark it, or use AgentTool.Create with a name.",
                nameof(method));
        return Build(method.Method, method.Target, attribute.Name, attribute.ToSettings());
    }

    /// <summary>Creates one tool for each public method of <typeparamref name="T"/> marked with <see cref="AgentToolAttribute"/>.</summary>
    /// <param name="instance">The object whose instance methods are called; static methods are included too.</param>
    /// <returns>The tools, in name order.</returns>
    /// <exception cref="ArgumentException">No method is marked, or a marked method is not a valid tool.</exception>
    public static IReadOnlyList<AgentTool> FromType<T>(T instance)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(instance);
        var tools = new List<AgentTool>();
        foreach (var method in typeof(T).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            if (method.GetCustomAttribute<AgentToolAttribute>() is { } attribute)
            {
                tools.Add(Build(method, method.IsStatic ? null : instance, attribute.Name, attribute.ToSettings()));
            }
        }

        if (tools.Count == 0)
        {
            throw new ArgumentException($"{typeof(T).Name} has no public method marked [AgentTool(\"name\")].", nameof(instance));
        }

        return [.. tools.OrderBy(static t => t.Name, StringComparer.Ordinal)];
    }

    /// <summary>This tool with another policy (e.g. confirmation switched on by configuration).</summary>
    /// <exception cref="ArgumentException">A setting is not valid.</exception>
    public AgentTool WithSettings(AgentToolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(Name);
        return new AgentTool(Function, settings, Alias);
    }

    /// <summary>A tool over a function that is not a marked method (an MCP server's tool), known to agents also as <paramref name="alias"/>.</summary>
    /// <exception cref="ArgumentException">The function's name or a setting is not valid.</exception>
    internal static AgentTool FromFunction(AIFunction function, AgentToolSettings settings, string? alias)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(settings);
        ValidateName(function.Name);
        settings.Validate(alias ?? function.Name);
        return new AgentTool(function, settings, alias);
    }

    private static AgentTool Build(MethodInfo method, object? target, string name, AgentToolSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ValidateName(name);
        settings.Validate(name);
        if (method.GetCustomAttribute<DescriptionAttribute>() is null)
        {
            throw new ArgumentException(
                $"Tool method {Describe(method)} has no [Description]; the model needs one to know when to call '{name}'.",
                nameof(method));
        }

        var function = AIFunctionFactory.Create(method, target, new AIFunctionFactoryOptions
        {
            Name = name,
            ConfigureParameterBinding = static parameter => parameter.ParameterType == typeof(ToolContext)
                ? new AIFunctionFactoryOptions.ParameterBindingOptions { ExcludeFromSchema = true, BindParameter = static (_, arguments) => BindContext(arguments) }
                : default,
            // Keep the method's return value as is: the registry formats it for the history
            // (a string stays a string instead of becoming a quoted JSON string).
            MarshalResult = static (result, _, _) => new ValueTask<object?>(result),
        });
        return new AgentTool(function, settings);
    }

    private static ToolContext BindContext(AIFunctionArguments arguments) =>
        arguments.Context is not null && arguments.Context.TryGetValue(typeof(ToolContext), out var value) && value is ToolContext context
            ? context
            : throw new InvalidOperationException("This tool takes a ToolContext, and none was given; invoke it through ToolRegistry.InvokeAsync.");

    internal static void AddContext(AIFunctionArguments arguments, ToolContext context) =>
        (arguments.Context ??= new Dictionary<object, object?>())[typeof(ToolContext)] = context;

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // What OpenAI-compatible APIs accept for a function name; a wider name fails the whole model request.
        if (name.Length > MaxNameLength || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException(
                $"Tool name '{name}' is not valid; use 1 to {MaxNameLength} ASCII letters, digits, '_' or '-' (e.g. 'calculator').",
                nameof(name));
        }
    }

    private static string Describe(MethodInfo method) => $"{method.DeclaringType?.Name}.{method.Name}";
}
