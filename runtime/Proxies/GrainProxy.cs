using System.Reflection;

namespace AgentGrains.Runtime.Proxies;

/// <summary>The object a grain reference is: every interface call becomes a message to the runtime.</summary>
/// <remarks>
/// <see cref="DispatchProxy"/> rather than a source generator: it needs no build step in user
/// projects, and its cost (one dictionary lookup and one argument array per call) is small next
/// to a durable commit and measured in bench/ for read-only calls. The per-method work
/// (delegates, result adapters) is computed once in <see cref="GrainMethod"/>.
/// </remarks>
public class GrainProxy : DispatchProxy
{
    private IGrainCallInvoker? invoker;
    private GrainInterface? grainInterface;

    /// <summary>The grain this proxy refers to.</summary>
    public GrainId GrainId { get; private set; }

    internal static T Create<T>(GrainId id, IGrainCallInvoker invoker)
        where T : IGrain
    {
        var proxy = DispatchProxy.Create<T, GrainProxy>();
        var self = (GrainProxy)(object)proxy!;
        self.GrainId = id;
        self.invoker = invoker;
        self.grainInterface = GrainInterface.Of(typeof(T));
        return proxy;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var method = grainInterface![targetMethod];
        return method.FromResult(invoker!.InvokeAsync(GrainId, method, args ?? []));
    }

    /// <inheritdoc />
    public override string ToString() => GrainId.ToString();
}
