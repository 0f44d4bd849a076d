using System.Linq.Expressions;
using System.Reflection;

namespace AgentGrains.Runtime.Proxies;

/// <summary>Everything the runtime needs to call one grain interface method, computed once per method.</summary>
internal sealed class GrainMethod
{
    private static readonly MethodInfo AwaitTaskOfT = typeof(GrainMethod).GetMethod(nameof(AwaitTask), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo AwaitValueTaskOfT = typeof(GrainMethod).GetMethod(nameof(AwaitValueTask), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo CastTaskOfT = typeof(GrainMethod).GetMethod(nameof(CastTask), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo CastValueTaskOfT = typeof(GrainMethod).GetMethod(nameof(CastValueTask), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Func<object, object?[], object> call;
    private readonly Func<object, Task<object?>> toTask;

    private GrainMethod(MethodInfo method)
    {
        Method = method;
        Key = $"{method.DeclaringType!.FullName}::{method.Name}";
        IsReadOnly = method.IsDefined(typeof(ReadOnlyAttribute), inherit: false);
        Parameters = method.GetParameters().Select(p => p.ParameterType).ToArray();
        CancellationTokenIndex = Array.IndexOf(Parameters, typeof(CancellationToken));

        var returnType = method.ReturnType;
        if (returnType == typeof(Task))
        {
            ResultType = null;
            toTask = o => AwaitVoid((Task)o);
            FromResult = t => t;
        }
        else if (returnType == typeof(ValueTask))
        {
            ResultType = null;
            toTask = o => AwaitVoid(((ValueTask)o).AsTask());
            FromResult = t => new ValueTask(t);
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultType = returnType.GetGenericArguments()[0];
            toTask = AwaitTaskOfT.MakeGenericMethod(ResultType).CreateDelegate<Func<object, Task<object?>>>();
            FromResult = CastTaskOfT.MakeGenericMethod(ResultType).CreateDelegate<Func<Task<object?>, object>>();
        }
        else if (returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            ResultType = returnType.GetGenericArguments()[0];
            toTask = AwaitValueTaskOfT.MakeGenericMethod(ResultType).CreateDelegate<Func<object, Task<object?>>>();
            FromResult = CastValueTaskOfT.MakeGenericMethod(ResultType).CreateDelegate<Func<Task<object?>, object>>();
        }
        else
        {
            throw new NotSupportedException(
                $"Grain method {method.DeclaringType!.Name}.{method.Name} returns {returnType.Name}; grain methods return Task, Task<T>, ValueTask or ValueTask<T>.");
        }

        call = Compile(method);
    }

    /// <summary>The interface method.</summary>
    public MethodInfo Method { get; }

    /// <summary>The stable name stored in the inbox: <c>Namespace.IInterface::Method</c>.</summary>
    public string Key { get; }

    /// <summary>Whether the method is <see cref="ReadOnlyAttribute">read-only</see> (transient delivery).</summary>
    public bool IsReadOnly { get; }

    /// <summary>The parameter types.</summary>
    public Type[] Parameters { get; }

    /// <summary>The position of a <see cref="CancellationToken"/> parameter, or -1.</summary>
    public int CancellationTokenIndex { get; }

    /// <summary>The result type, or null for <see cref="Task"/>/<see cref="ValueTask"/>.</summary>
    public Type? ResultType { get; }

    /// <summary>Turns the runtime's <c>Task&lt;object?&gt;</c> into the method's declared return type.</summary>
    public Func<Task<object?>, object> FromResult { get; }

    /// <summary>Calls the method on a grain instance.</summary>
    public Task<object?> Invoke(object grain, object?[] arguments) => toTask(call(grain, arguments));

    /// <summary>Describes <paramref name="method"/>.</summary>
    public static GrainMethod Create(MethodInfo method) => new(method);

    private static Func<object, object?[], object> Compile(MethodInfo method)
    {
        // A compiled delegate costs one virtual call per invocation, where MethodInfo.Invoke
        // would allocate and check arguments on every call.
        var target = Expression.Parameter(typeof(object), "grain");
        var arguments = Expression.Parameter(typeof(object?[]), "arguments");
        var parameters = method.GetParameters()
            .Select((p, i) => Expression.Convert(Expression.ArrayIndex(arguments, Expression.Constant(i)), p.ParameterType))
            .ToArray();
        var body = Expression.Convert(
            Expression.Call(Expression.Convert(target, method.DeclaringType!), method, parameters),
            typeof(object));
        return Expression.Lambda<Func<object, object?[], object>>(body, target, arguments).Compile();
    }

    private static async Task<object?> AwaitVoid(Task task)
    {
        await task.ConfigureAwait(false);
        return null;
    }

    private static async Task<object?> AwaitTask<T>(object task) => await ((Task<T>)task).ConfigureAwait(false);

    private static async Task<object?> AwaitValueTask<T>(object task) => await ((ValueTask<T>)task).ConfigureAwait(false);

    private static async Task<T> CastTask<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;

#pragma warning disable CA1859 // Returns object on purpose: it is bound to a Func<Task<object?>, object> delegate.
    private static object CastValueTask<T>(Task<object?> task) => new ValueTask<T>(CastTask<T>(task));
#pragma warning restore CA1859
}
