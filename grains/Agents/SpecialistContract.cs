using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Agents;

/// <summary>What makes an agent callable by managers as a typed tool: a description, a request record and a response record.</summary>
/// <remarks>
/// <para>The manager's model sees the specialist as a tool named after the agent, described by
/// <see cref="Description"/>, whose parameters are the JSON schema of the request type (from
/// System.Text.Json's schema exporter, as for every other tool). Arguments that do not fit the
/// schema go back to the model as a tool error and never start a specialist run.</para>
/// <para>A completed specialist run's reply is the response. For a response type other than
/// <see cref="string"/> the reply must be JSON of that type; anything else reaches the manager's
/// model as an <c>InvalidResponse</c> tool error, so a manager never reads a half-formed answer as
/// a real one.</para>
/// </remarks>
public sealed class SpecialistContract
{
    private SpecialistContract(string description, Type requestType, Type responseType, TimeSpan timeout, bool keepsConversation)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        Description = description;
        RequestType = requestType;
        ResponseType = responseType;
        Timeout = timeout;
        KeepsConversation = keepsConversation;
        RequestSchema = AIJsonUtilities.CreateJsonSchema(requestType, serializerOptions: AIJsonUtilities.DefaultOptions);
        ResponseSchema = AIJsonUtilities.CreateJsonSchema(responseType, serializerOptions: AIJsonUtilities.DefaultOptions);
    }

    /// <summary>When managers should call the specialist, as their models see it.</summary>
    public string Description { get; }

    /// <summary>The request record; its schema is the tool's parameters.</summary>
    public Type RequestType { get; }

    /// <summary>The response record (or <see cref="string"/> for free text).</summary>
    public Type ResponseType { get; }

    /// <summary>The JSON schema of <see cref="RequestType"/>.</summary>
    public JsonElement RequestSchema { get; }

    /// <summary>The JSON schema of <see cref="ResponseType"/>.</summary>
    public JsonElement ResponseSchema { get; }

    /// <summary>How long a manager waits for one call before it cancels the specialist run and tells its model the call timed out.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// Whether the specialist keeps one conversation per manager session (every call is a new run
    /// in the same specialist session, which remembers the earlier calls) instead of a fresh session
    /// per call (the default).
    /// </summary>
    public bool KeepsConversation { get; }

    /// <summary>A contract with request <typeparamref name="TRequest"/> and response <typeparamref name="TResponse"/>.</summary>
    /// <param name="description">When managers should call the specialist.</param>
    /// <param name="timeout">How long a manager waits for one call; default 10 minutes.</param>
    /// <param name="keepsConversation">One specialist session per manager session instead of one per call.</param>
    public static SpecialistContract For<TRequest, TResponse>(string description, TimeSpan? timeout = null, bool keepsConversation = false)
        where TRequest : class =>
        new(description, typeof(TRequest), typeof(TResponse), timeout ?? TimeSpan.FromMinutes(10), keepsConversation);

    /// <summary>The tool the manager's model is offered for the specialist named <paramref name="name"/>.</summary>
    public AIFunctionDeclaration ToolFor(string name) =>
        AIFunctionFactory.CreateDeclaration(name, Description, RequestSchema, ResponseSchema);

    /// <summary>Checks a completed run's reply against <see cref="ResponseType"/>; null when it fits, else what is wrong.</summary>
    public string? CheckResponse(string? reply)
    {
        if (ResponseType == typeof(string))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(reply))
        {
            return $"the reply is empty; a {ResponseType.Name} (JSON) was expected";
        }

        try
        {
            return JsonSerializer.Deserialize(reply, ResponseType, AIJsonUtilities.DefaultOptions) is null
                ? $"the reply is null; a {ResponseType.Name} (JSON) was expected"
                : null;
        }
        catch (JsonException ex)
        {
            return $"the reply is not a {ResponseType.Name} as JSON: {ex.Message}";
        }
    }
}
