using AgentGrains.GrainInterfaces;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Tools;

/// <summary>The tools known to this silo: exposes them to models and runs the calls models make.</summary>
/// <remarks>
/// A bad call never throws: an unknown or unauthorized tool, arguments that are not valid JSON, do
/// not fit the tool's schema or do not bind to its parameters, a tool that throws and a tool that exceeds its timeout
/// all come back as a <see cref="ToolResult"/> whose text starts with <c>error:</c>, so the model
/// can correct itself and the turn carries on.
/// </remarks>
public sealed partial class ToolRegistry
{
    private readonly Dictionary<string, AgentTool> tools = new(StringComparer.Ordinal);
    private readonly TimeProvider timeProvider;
    private readonly ILogger<ToolRegistry> logger;

    /// <summary>Creates the registry over every <see cref="AgentTool"/> registered in the container.</summary>
    /// <exception cref="ArgumentException">Two tools have the same name.</exception>
    public ToolRegistry(IEnumerable<AgentTool> tools, TimeProvider timeProvider, ILogger<ToolRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        foreach (var tool in tools)
        {
            if (!this.tools.TryAdd(tool.Name, tool))
            {
                throw new ArgumentException($"Two tools are named '{tool.Name}'; tool names must be unique.", nameof(tools));
            }

            if (tool.Alias is { } alias && !this.tools.TryAdd(alias, tool))
            {
                throw new ArgumentException($"Two tools are named '{alias}'; tool names must be unique.", nameof(tools));
            }
        }

        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    /// <summary>The names of all registered tools, sorted.</summary>
    public IReadOnlyList<string> Names => [.. tools.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Whether a tool of that name is registered.</summary>
    public bool Contains(string name) => tools.ContainsKey(name);

    /// <summary>The tools named in <paramref name="names"/>, as the model sees them (for <see cref="ChatOptions.Tools"/>).</summary>
    /// <exception cref="KeyNotFoundException">A name is not registered.</exception>
    public IList<AITool> GetTools(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var result = new List<AITool>();
        foreach (var name in names)
        {
            result.Add(tools.TryGetValue(name, out var tool)
                ? tool.Function
                : throw new KeyNotFoundException($"No tool named '{name}' is registered; known tools: {string.Join(", ", Names)}."));
        }

        return result;
    }

    /// <summary>Finds a registered tool by name, to read its policy (<see cref="AgentTool.Settings"/>).</summary>
    public bool TryGet(string name, [MaybeNullWhen(false)] out AgentTool tool)
    {
        ArgumentNullException.ThrowIfNull(name);
        return tools.TryGetValue(name, out tool);
    }

    /// <summary>Checks a call the model made without running it: the tool exists and this agent may use it, and the arguments fit the tool's schema.</summary>
    /// <remarks>
    /// The engine calls this before asking a person to confirm a call, so a call that could not
    /// run never reaches a person; <see cref="InvokeAsync"/> calls it again.
    /// </remarks>
    /// <param name="call">The model's call.</param>
    /// <param name="allowed">The tools the calling agent may use.</param>
    /// <returns>Null when the call is valid; otherwise an error result for the model naming every problem.</returns>
    public ToolResult? Validate(FunctionCallContent call, IReadOnlyCollection<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(allowed);
        // An agent may name a tool by its alias (an MCP tool's mcp:server/tool) while the model calls its name.
        if (!tools.TryGetValue(call.Name, out var tool)
            || !(allowed.Contains(tool.Name, StringComparer.Ordinal) || (tool.Alias is { } alias && allowed.Contains(alias, StringComparer.Ordinal))))
        {
            LogUnknownTool(logger, call.Name, call.CallId);
            return ToolResult.Error($"unknown tool '{call.Name}'; available tools: {(allowed.Count == 0 ? "none" : string.Join(", ", allowed))}.");
        }

        return ValidateArguments(call, tool.Function.JsonSchema);
    }

    /// <summary>Checks that a call's arguments are JSON that fits <paramref name="schema"/>; for calls that are not tools of the registry (specialists, handoffs) as for those that are.</summary>
    /// <param name="call">The model's call.</param>
    /// <param name="schema">The JSON schema of the arguments.</param>
    /// <returns>Null when they fit; otherwise an error result for the model naming every problem.</returns>
    public ToolResult? ValidateArguments(FunctionCallContent call, JsonElement schema)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Exception is not null)
        {
            // The model client could not parse the arguments (FunctionCallContent.CreateFromParsedArguments).
            LogInvalidArguments(logger, call.Name, call.CallId, call.Exception);
            return ToolResult.Error($"the arguments for '{call.Name}' are not valid JSON: {call.Exception.Message}");
        }

        JsonElement arguments;
        try
        {
            // Values are JsonElements from a model client, or CLR values from code; one JSON form checks both.
            arguments = JsonSerializer.SerializeToElement(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            LogInvalidArguments(logger, call.Name, call.CallId, ex);
            return ToolResult.Error($"the arguments for '{call.Name}' cannot be read as JSON: {ex.Message}");
        }

        var problems = ToolArgumentValidator.Validate(schema, arguments);
        if (problems.Count == 0)
        {
            return null;
        }

        // The problems quote the model's values, which may be anything; the log gets only their count.
        LogArgumentsRejected(logger, call.Name, call.CallId, problems.Count);
        return ToolResult.Error($"invalid arguments for '{call.Name}': {string.Join("; ", problems)}");
    }

    /// <summary>Runs one call the model made, if it is valid (<see cref="Validate"/>), within the tool's timeout.</summary>
    /// <remarks>
    /// The engine journals the result; if it crashes first it invokes the same call again with an
    /// equal <paramref name="context"/>, so a tool with side effects sees the same
    /// <see cref="ToolContext.IdempotencyKey"/> (docs/tools.md).
    /// </remarks>
    /// <param name="call">The model's call.</param>
    /// <param name="context">Where the call comes from; bound to the tool's <see cref="ToolContext"/> parameter.</param>
    /// <param name="allowed">The tools the calling agent may use.</param>
    /// <param name="cancellationToken">Cancels the call (the silo is stopping); this one does throw.</param>
    /// <returns>The tool's result, or an error text for the model.</returns>
    /// <exception cref="ArgumentException"><paramref name="context"/> names another tool than <paramref name="call"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ToolResult> InvokeAsync(FunctionCallContent call, ToolContext context, IReadOnlyCollection<string> allowed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(allowed);
        if (!string.Equals(context.ToolName, call.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The context is for tool '{context.ToolName}' but the call is to '{call.Name}'; build one ToolContext per call.", nameof(context));
        }

        if (Validate(call, allowed) is { } invalid)
        {
            return invalid;
        }

        var tool = tools[call.Name];
        using var timeout = new CancellationTokenSource(tool.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var arguments = new AIFunctionArguments(call.Arguments ?? new Dictionary<string, object?>());
            AgentTool.AddContext(arguments, context);
            // Task.Run: a tool is not grain code; it must not block the activation's scheduler, and a
            // synchronous tool that hangs can then still be abandoned at its timeout.
            var result = await Task.Run(() => tool.Function.InvokeAsync(arguments, linked.Token).AsTask(), CancellationToken.None)
                .WaitAsync(linked.Token)
                .ConfigureAwait(false);
            return ToolResult.Success(Format(result));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogToolTimedOut(logger, tool.Name, call.CallId, tool.Timeout.TotalSeconds);
            return ToolResult.Error($"'{tool.Name}' did not finish within {tool.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever a tool throws (argument binding included) is the model's problem to fix, never the turn's.
            LogToolFailed(logger, tool.Name, call.CallId, ex);
            return ToolResult.Error($"'{tool.Name}' failed: {Describe(ex)}");
        }
    }

    private static string Format(object? result) => result switch
    {
        null => string.Empty,
        string text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() ?? string.Empty,
        JsonElement element => element.GetRawText(),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };

    private static string Describe(Exception exception) =>
        exception is AgentGrainsException or ArgumentException or FormatException or ArithmeticException or JsonException or InvalidOperationException
            ? exception.Message
            : $"{exception.GetType().Name}: {exception.Message}";

    [LoggerMessage(Level = LogLevel.Information, Message = "The model called unknown or unauthorized tool {Tool} (call {CallId})")]
    private static partial void LogUnknownTool(ILogger logger, string tool, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model sent unparsable arguments to tool {Tool} (call {CallId})")]
    private static partial void LogInvalidArguments(ILogger logger, string tool, string callId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model sent arguments that do not fit tool {Tool}'s schema (call {CallId}, {ProblemCount} problems)")]
    private static partial void LogArgumentsRejected(ILogger logger, string tool, string callId, int problemCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tool {Tool} timed out after {TimeoutSeconds} s (call {CallId})")]
    private static partial void LogToolTimedOut(ILogger logger, string tool, string callId, double timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tool {Tool} failed (call {CallId})")]
    private static partial void LogToolFailed(ILogger logger, string tool, string callId, Exception exception);
}
