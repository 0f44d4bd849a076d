using System.Globalization;

namespace AgentGrains.Grains.Tools;

/// <summary>Evaluates arithmetic over decimals: <c>+ - * /</c>, parentheses, unary minus and plus.</summary>
/// <remarks>
/// A recursive-descent parser over the grammar
/// <code>
/// expression := term (('+' | '-') term)*
/// term       := unary (('*' | '/') unary)*
/// unary      := ('-' | '+') unary | primary
/// primary    := number | '(' expression ')'
/// </code>
/// <see cref="decimal"/> rather than <see cref="double"/> so that <c>0.1 + 0.2</c> is <c>0.3</c>, as
/// a user expects from a calculator. Input length and nesting are bounded so a hostile expression
/// from a model cannot exhaust the stack.
/// </remarks>
internal sealed class ArithmeticEvaluator
{
    private const int MaxLength = 1_000;
    private const int MaxDepth = 64;

    private readonly string text;
    private int position;
    private int depth;

    private ArithmeticEvaluator(string text)
    {
        this.text = text;
    }

    /// <summary>Evaluates <paramref name="expression"/>.</summary>
    /// <exception cref="FormatException">The expression is empty, too long, too deeply nested, or not valid arithmetic.</exception>
    /// <exception cref="DivideByZeroException">It divides by zero.</exception>
    /// <exception cref="OverflowException">A number or the result is outside the decimal range.</exception>
    public static decimal Evaluate(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (string.IsNullOrWhiteSpace(expression))
        {
            throw new FormatException("the expression is empty.");
        }

        if (expression.Length > MaxLength)
        {
            throw new FormatException($"the expression is longer than {MaxLength} characters.");
        }

        var evaluator = new ArithmeticEvaluator(expression);
        var value = evaluator.ParseExpression();
        evaluator.SkipWhitespace();
        if (evaluator.position < evaluator.text.Length)
        {
            throw evaluator.Unexpected();
        }

        return value;
    }

    /// <summary>Formats a result without trailing zeros or exponent (<c>5.0</c> becomes <c>5</c>).</summary>
    public static string Format(decimal value) =>
        value.ToString("0.############################", CultureInfo.InvariantCulture);

    private decimal ParseExpression()
    {
        var value = ParseTerm();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('+'))
            {
                value += ParseTerm();
            }
            else if (TryConsume('-'))
            {
                value -= ParseTerm();
            }
            else
            {
                return value;
            }
        }
    }

    private decimal ParseTerm()
    {
        var value = ParseUnary();
        while (true)
        {
            SkipWhitespace();
            if (TryConsume('*'))
            {
                value *= ParseUnary();
            }
            else if (TryConsume('/'))
            {
                var divisor = ParseUnary();
                if (divisor == 0m)
                {
                    throw new DivideByZeroException("division by zero.");
                }

                value /= divisor;
            }
            else
            {
                return value;
            }
        }
    }

    private decimal ParseUnary()
    {
        SkipWhitespace();
        if (TryConsume('-'))
        {
            Enter();
            var negated = -ParseUnary();
            depth--;
            return negated;
        }

        if (TryConsume('+'))
        {
            Enter();
            var value = ParseUnary();
            depth--;
            return value;
        }

        return ParsePrimary();
    }

    private decimal ParsePrimary()
    {
        SkipWhitespace();
        if (TryConsume('('))
        {
            Enter();
            var value = ParseExpression();
            depth--;
            SkipWhitespace();
            if (!TryConsume(')'))
            {
                throw position < text.Length
                    ? Unexpected()
                    : new FormatException("missing ')' at the end of the expression.");
            }

            return value;
        }

        return ParseNumber();
    }

    private decimal ParseNumber()
    {
        var start = position;
        var digits = 0;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
            digits++;
        }

        if (position < text.Length && text[position] == '.')
        {
            position++;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
                digits++;
            }
        }

        if (digits == 0)
        {
            position = start;
            throw position < text.Length ? Unexpected() : new FormatException("the expression ends where a number was expected.");
        }

        return decimal.Parse(text.AsSpan(start, position - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
    }

    private void Enter()
    {
        if (++depth > MaxDepth)
        {
            throw new FormatException($"the expression is nested more than {MaxDepth} levels deep.");
        }
    }

    private void SkipWhitespace()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private bool TryConsume(char expected)
    {
        if (position < text.Length && text[position] == expected)
        {
            position++;
            return true;
        }

        return false;
    }

    private FormatException Unexpected() =>
        new($"unexpected '{text[position]}' at position {(position + 1).ToString(CultureInfo.InvariantCulture)}.");
}
