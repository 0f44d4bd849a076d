using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Grains.Tools;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class CalculatorToolTests
{
    [Theory]
    [InlineData("6*7", "42")]
    [InlineData("2+3*4", "14")]
    [InlineData("10-4-3", "3")]
    [InlineData("100/10/5", "2")]
    [InlineData("(2+3)*4", "20")]
    [InlineData("((1+2)*(3+4))", "21")]
    [InlineData("-5+2", "-3")]
    [InlineData("-(2+3)", "-5")]
    [InlineData("2*-3", "-6")]
    [InlineData("--4", "4")]
    [InlineData("+7", "7")]
    [InlineData("1.5*2", "3")]
    [InlineData("0.1+0.2", "0.3")]
    [InlineData(".5 + .25", "0.75")]
    [InlineData("7/2", "3.5")]
    [InlineData("  12 /  ( 1 + 2 )  ", "4")]
    public void Evaluate_ValidExpression_ReturnsExactResult(string expression, string expected)
    {
        Assert.Equal(expected, CalculatorTool.Evaluate(expression));
    }

    [Fact]
    public void Evaluate_DivisionByZero_Throws()
    {
        var error = Assert.Throws<DivideByZeroException>(() => CalculatorTool.Evaluate("1/(2-2)"));
        Assert.Contains("division by zero", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2+*3", "unexpected '*' at position 3")]
    [InlineData("(1+2", "missing ')'")]
    [InlineData("1+2)", "unexpected ')' at position 4")]
    [InlineData("abc", "unexpected 'a' at position 1")]
    [InlineData("3 4", "unexpected '4' at position 3")]
    [InlineData("1+", "ends where a number was expected")]
    [InlineData("   ", "empty")]
    [InlineData("1..2", "unexpected '.' at position 3")]
    public void Evaluate_BadSyntax_ThrowsFormatExceptionNamingTheProblem(string expression, string problem)
    {
        var error = Assert.Throws<FormatException>(() => CalculatorTool.Evaluate(expression));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_DeeplyNested_ThrowsFormatExceptionInsteadOfOverflowingTheStack()
    {
        var expression = new string('(', 100) + "1" + new string(')', 100);

        var error = Assert.Throws<FormatException>(() => CalculatorTool.Evaluate(expression));
        Assert.Contains("nested", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ResultOutOfRange_ThrowsOverflow()
    {
        Assert.Throws<OverflowException>(() => CalculatorTool.Evaluate("79228162514264337593543950335*10"));
    }
}
