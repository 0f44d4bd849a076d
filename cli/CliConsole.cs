using Spectre.Console;

namespace AgentGrains.Cli;

/// <summary>Where a command reads and writes: standard input, a Spectre console over standard output, standard error.</summary>
/// <param name="Input">Lines typed (or piped) in: chat messages and approval answers.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error: one-line errors and notices.</param>
/// <param name="Interactive">Whether standard output is a terminal: live trees and spinners; plain lines otherwise.</param>
internal sealed record CliConsole(TextReader Input, IAnsiConsole Out, TextWriter Error, bool Interactive)
{
    /// <summary>Widths beyond any line the CLI prints, so redirected output is never wrapped.</summary>
    private const int PlainWidth = 4096;

    /// <summary>The process's own console.</summary>
    public static CliConsole FromProcess()
    {
        var interactive = !Console.IsOutputRedirected;
        if (!interactive)
        {
            Console.OutputEncoding = System.Text.Encoding.UTF8;
        }

        return Create(Console.In, Console.Out, Console.Error, interactive);
    }

    /// <summary>A console over the given reader and writers; plain (no colours, no live display) unless <paramref name="interactive"/>.</summary>
    /// <param name="input">Standard input.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="interactive">Whether <paramref name="output"/> is a terminal.</param>
    /// <param name="forceTerminal">Treat <paramref name="output"/> as an ANSI terminal whatever it is (to record what a terminal would show).</param>
    public static CliConsole Create(TextReader input, TextWriter output, TextWriter error, bool interactive, bool forceTerminal = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = forceTerminal ? AnsiSupport.Yes : interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = forceTerminal ? ColorSystemSupport.Standard : interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = forceTerminal ? InteractionSupport.Yes : interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (forceTerminal)
        {
            console.Profile.Width = 160;
            console.Profile.Capabilities.Unicode = true;
        }
        if (!interactive)
        {
            console.Profile.Width = PlainWidth;
            console.Profile.Capabilities.Unicode = true;
        }

        return new CliConsole(input, console, error, interactive);
    }

    /// <summary>Writes a table or tree; when not on a terminal, without trailing blanks or blank lines, for tools that read it.</summary>
    public void Write(Spectre.Console.Rendering.IRenderable renderable)
    {
        if (Interactive)
        {
            Out.Write(renderable);
            return;
        }

        using var text = new StringWriter();
        Create(TextReader.Null, text, TextWriter.Null, interactive: false).Out.Write(renderable);
        foreach (var line in text.ToString().ReplaceLineEndings("\n").Split('\n'))
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                Line(line.TrimEnd());
            }
        }
    }

    /// <summary>Writes a line of plain text (no markup) to standard output.</summary>
    public void Line(string text)
    {
        if (Interactive)
        {
            Out.WriteLine(text);
        }
        else
        {
            Out.Profile.Out.Writer.WriteLine(text);
        }
    }
}
