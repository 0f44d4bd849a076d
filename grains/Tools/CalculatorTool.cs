using System.ComponentModel;

namespace AgentGrains.Grains.Tools;

/// <summary>The built-in <c>calculator</c> tool.</summary>
public static class CalculatorTool
{
    /// <summary>The tool's name.</summary>
    public const string Name = "calculator";

    /// <summary>Creates the tool.</summary>
    public static AgentTool Create() => AgentTool.FromMethod(Evaluate);

    /// <summary>Evaluates an arithmetic expression.</summary>
    /// <exception cref="FormatException">The expression is not valid arithmetic.</exception>
    /// <exception cref="DivideByZeroException">It divides by zero.</exception>
    /// <exception cref="OverflowException">The result is out of range.</exception>
    [AgentTool(Name, Risk = ToolRisk.Low, SideEffects = false)]
    [Description("Evaluates an arithmetic expression with + - * /, parentheses, unary minus and decimal numbers, and returns the exact result.")]
    public static string Evaluate(
        [Description("The expression, for example (2 + 3) * 4 or -1.5 / 3.")] string expression) =>
        ArithmeticEvaluator.Format(ArithmeticEvaluator.Evaluate(expression));
}
