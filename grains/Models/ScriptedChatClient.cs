using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentGrains.Grains.Memory;
using AgentGrains.Grains.Tools;
using AgentGrains.Grains.Tools.Mcp;
using Microsoft.Extensions.AI;

namespace AgentGrains.Grains.Models;

/// <summary>A deterministic, offline model: the default when no model API key is configured.</summary>
/// <remarks>
/// <para>It answers from the messages it is given and nothing else, so the same conversation
/// always gets the same replies (tests, demos and benchmarks depend on that). In order:</para>
/// <list type="number">
/// <item>after tool results, it answers in text from them ("The answer is 42.");</item>
/// <item>"use list_directory {"path": "shared"}" calls the offered tool of that name, or whose name ends with
/// <c>__list_directory</c> (an MCP tool, <c>mcp__files__list_directory</c>), with the JSON object as its arguments
/// (none when omitted); when no offered tool matches, it names the tools it can use;</item>
/// <item>"send a message to ada@example.com: the deploy is done" becomes a <c>send_message</c> call;</item>
/// <item>arithmetic in the user's message (<c>what is 6*7?</c>) becomes a <c>calculator</c> call;</item>
/// <item>a question about the time or date becomes a <c>clock</c> call;</item>
/// <item>a question about something stated earlier (<c>what is my name?</c>) is answered from the
/// history it sees, or it says it does not know;</item>
/// <item>a summary request (<see cref="SummaryRequest"/>) is answered with the user's statements, bounded by its length limit
/// (<see cref="DeterministicChatClient"/>), and questions are answered from that summary too once a statement has left the window;</item>
/// <item>a question none of those answers becomes a <c>recall</c> call when the request offers it (a session with a user), and is answered from what it finds;</item>
/// <item>a statement about the user (<c>my name is Ada</c>) or one to keep (<c>remember that the door code is 1234</c>) becomes a
/// <c>remember</c> call when the request offers it, and its answer also says it is remembered; the facts of the user's long-term
/// memory given with the request (<see cref="Memory.MemoryContext"/>) answer questions like the history does;</item>
/// <item>any other statement is acknowledged;</item>
/// <item>anything else is echoed.</item>
/// </list>
/// <para>Tools are only called when the request offers them. Token usage is the number of
/// whitespace-separated words, so it is deterministic too.</para>
/// </remarks>
public sealed partial class ScriptedChatClient() : DeterministicChatClient(ModelId)
{
    /// <summary>The model id reported in responses.</summary>
    public const string ModelId = "scripted";

    // Longer messages are only echoed: the patterns below never see unbounded input.
    private const int MaxAnalyzedLength = 2_000;

    // What the model sees of an MCP tool: mcp__<server>__<tool> (McpToolNames).
    private const string McpModelPrefix = "mcp__";

    /// <inheritdoc />
    protected override ChatMessage Decide(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var last = messages.Count > 0 ? messages[^1] : null;
        if (last?.Role == ChatRole.Tool)
        {
            // What recall found answers the question it was called for.
            return RecalledFor(messages) is { } recalled
                ? Say(Recall(messages, recalled, orNull: false)!)
                : Say(AnswerFromToolResults(messages));
        }

        if (last?.Role != ChatRole.User)
        {
            return Say("How can I help?");
        }

        var text = last.Text.Trim();
        if (text.Length > MaxAnalyzedLength)
        {
            return Say($"You said: {text[..80]}…");
        }

        if (UseRequest().Match(text) is { Success: true } use)
        {
            return UseTool(messages, options, use.Groups["tool"].Value, use.Groups["arguments"].Value);
        }

        // Before arithmetic: a message may hold numbers and dates.
        if (Offers(options, SendMessageTool.Name) && SendRequest().Match(text) is { Success: true } send)
        {
            return Call(messages, (SendMessageTool.Name, new Dictionary<string, object?> { ["to"] = send.Groups["to"].Value, ["text"] = send.Groups["text"].Value.Trim() }));
        }

        if (Offers(options, CalculatorTool.Name) && TryFindExpression(text, out var expression))
        {
            return Call(messages, (CalculatorTool.Name, new Dictionary<string, object?> { ["expression"] = expression }));
        }

        if (Offers(options, ClockTool.Name) && TimeQuestion().IsMatch(text))
        {
            return Call(messages, (ClockTool.Name, new Dictionary<string, object?>()));
        }

        if (TryParseQuestion(text, out var question))
        {
            // Not in the conversation nor in what it was given: the user's long-term memory may know.
            return Recall(messages, question, orNull: Offers(options, MemoryTools.RecallName)) is { } answer
                ? Say(answer)
                : Call(messages, (MemoryTools.RecallName, new Dictionary<string, object?> { ["query"] = question.Subject }));
        }

        if (TryParseFact(text, out var fact))
        {
            if (Offers(options, MemoryTools.RememberName) && (RememberRequest().IsMatch(text) || SelfSubject().IsMatch(fact.Subject)))
            {
                // Something the user states about themselves (or asks to keep) outlives the session.
                return Call(messages, (MemoryTools.RememberName, new Dictionary<string, object?> { ["fact"] = Sentence(Capitalize($"{fact.Subject} {fact.Verb} {fact.Value}")) }));
            }

            return Say(Sentence($"Got it: {LeadingArticle().Replace(SecondPerson(fact.Subject), static m => m.Value.ToLowerInvariant())} {fact.Verb} {SecondPerson(fact.Value)}"));
        }

        return Say($"You said: {text}");
    }

    private static string AnswerFromToolResults(IReadOnlyList<ChatMessage> messages)
    {
        var start = messages.Count;
        while (start > 0 && messages[start - 1].Role == ChatRole.Tool)
        {
            start--;
        }

        var sentences = new List<string>();
        for (var i = start; i < messages.Count; i++)
        {
            foreach (var result in messages[i].Contents.OfType<FunctionResultContent>())
            {
                var name = FindToolName(messages, start, result.CallId);
                var value = Convert.ToString(result.Result, CultureInfo.InvariantCulture) ?? string.Empty;
                sentences.Add(DescribeResult(name, value));
            }
        }

        return sentences.Count == 0 ? "The tool returned nothing." : string.Join(" ", sentences);
    }

    private static string DescribeResult(string? tool, string value)
    {
        if (value.StartsWith(ToolResult.ErrorPrefix, StringComparison.Ordinal))
        {
            return Sentence($"Sorry, that did not work: {value[ToolResult.ErrorPrefix.Length..]}");
        }

        return tool switch
        {
            CalculatorTool.Name => Sentence($"The answer is {value}"),
            ClockTool.Name when DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var now) =>
                $"The current time is {now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC.",
            SendMessageTool.Name when value.StartsWith("sent to ", StringComparison.Ordinal) => $"Your message to {value["sent to ".Length..]} was sent.",
            MemoryTools.RememberName when value.StartsWith(Remembered, StringComparison.Ordinal) && TryParseFact(value[Remembered.Length..].Trim(), out var fact) =>
                Sentence($"Got it: {LeadingArticle().Replace(SecondPerson(fact.Subject), static m => m.Value.ToLowerInvariant())} {fact.Verb} {SecondPerson(fact.Value)}. I'll remember that"),
            _ => ToolReturned(tool, value),
        };
    }

    private static string? FindToolName(IReadOnlyList<ChatMessage> messages, int before, string callId)
    {
        for (var i = before - 1; i >= 0; i--)
        {
            foreach (var call in messages[i].Contents.OfType<FunctionCallContent>())
            {
                if (string.Equals(call.CallId, callId, StringComparison.Ordinal))
                {
                    return call.Name;
                }
            }
        }

        return null;
    }

    private static bool TryFindExpression(string text, out string expression)
    {
        foreach (Match run in ArithmeticRun().Matches(text))
        {
            var candidate = run.Value.Trim().TrimEnd('.').TrimEnd();
            if (candidate.Any(char.IsAsciiDigit) && BinaryOperator().IsMatch(candidate))
            {
                expression = candidate;
                return true;
            }
        }

        expression = string.Empty;
        return false;
    }

    private static bool TryParseQuestion(string text, out Fact question)
    {
        var match = Question().Match(text);
        if (!match.Success)
        {
            question = default;
            return false;
        }

        var verb = match.Groups["verb"].Success ? NormalizeVerb(match.Groups["verb"].Value) : "is";
        question = new Fact(match.Groups["subject"].Value.Trim(), verb, string.Empty);
        return true;
    }

    private static bool TryParseFact(string text, out Fact fact)
    {
        fact = default;
        if (text.EndsWith('?'))
        {
            return false;
        }

        var statement = StatementPrefix().Replace(text, string.Empty);
        var match = Statement().Match(statement);
        if (!match.Success || QuestionWord().IsMatch(match.Groups["subject"].Value))
        {
            return false;
        }

        fact = new Fact(match.Groups["subject"].Value.Trim(), match.Groups["verb"].Value.ToLowerInvariant(), match.Groups["value"].Value.Trim());
        return true;
    }

    /// <summary>The question a trailing recall result was called for; null when the last results are not recall's.</summary>
    private static Fact? RecalledFor(IReadOnlyList<ChatMessage> messages)
    {
        var start = messages.Count;
        while (start > 0 && messages[start - 1].Role == ChatRole.Tool)
        {
            start--;
        }

        var recalled = messages.Skip(start).SelectMany(static m => m.Contents).OfType<FunctionResultContent>()
            .Any(r => FindToolName(messages, start, r.CallId) == MemoryTools.RecallName);
        var asked = messages.Take(start).LastOrDefault(static m => m.Role == ChatRole.User);
        return recalled && asked is not null && TryParseQuestion(asked.Text.Trim(), out var question) ? question : null;
    }

    /// <summary>The answer to <paramref name="question"/> from the conversation, its summary and what memory gave; null when none knows and <paramref name="orNull"/>.</summary>
    private static string? Recall(IReadOnlyList<ChatMessage> messages, Fact question, bool orNull)
    {
        var key = Key(question.Subject);
        // The question is the last user message: statements before it, newest first, so a restated fact wins.
        var asked = messages.Count - 1;
        while (asked > 0 && messages[asked].Role != ChatRole.User)
        {
            asked--;
        }

        // Statements before the question, newest first (a restated fact wins); then the user's long-term
        // memory (the facts given with the request, what recall found); then the running summary of what
        // fell out of the window, its newest statement first.
        var statements = Enumerable.Range(0, Math.Max(asked, 0)).Reverse().Select(i => messages[i]).Where(static m => m.Role == ChatRole.User).Select(static m => m.Text.Trim())
            .Concat(messages.SelectMany(MemoryContext.CarriedBy).Concat(RecallResults(messages)).Select(static f => f.TrimEnd('.')))
            .Concat(messages.Select(SummaryRequest.CarriedBy).OfType<string>()
                .SelectMany(static summary => summary.Split(". ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse().Select(static sentence => sentence.TrimEnd('.'))));
        foreach (var statement in statements)
        {
            if (TryParseFact(statement, out var fact) && string.Equals(Key(fact.Subject), key, StringComparison.Ordinal))
            {
                return Sentence(Capitalize($"{SecondPerson(fact.Subject)} {fact.Verb} {SecondPerson(fact.Value)}"));
            }
        }

        return orNull ? null : $"I don't know what {SecondPerson(question.Subject)} {question.Verb}.";
    }

    /// <summary>The facts in <c>recall</c> results (one per line: <c>- fact (remembered date)</c>).</summary>
    private static IEnumerable<string> RecallResults(IReadOnlyList<ChatMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            foreach (var result in messages[i].Contents.OfType<FunctionResultContent>())
            {
                if (FindToolName(messages, i, result.CallId) != MemoryTools.RecallName)
                {
                    continue;
                }

                var text = Convert.ToString(result.Result, CultureInfo.InvariantCulture) ?? string.Empty;
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (line.StartsWith("- ", StringComparison.Ordinal))
                    {
                        var end = line.LastIndexOf(" (remembered ", StringComparison.Ordinal);
                        yield return end > 2 ? line[2..end] : line[2..];
                    }
                }
            }
        }
    }

    private static string NormalizeVerb(string verb) => verb.ToLowerInvariant() switch
    {
        "'s" or "’s" => "is",
        var other => other,
    };

    private static string Key(string subject) =>
        Article().Replace(Whitespace().Replace(subject.Trim().ToLowerInvariant(), " "), string.Empty);

    // The user's "my name" is the model's "your name".
    private static string SecondPerson(string text) => Pronoun().Replace(text, static m => m.Value.ToLowerInvariant() switch
    {
        "my" => "your",
        "your" => "my",
        "mine" => "yours",
        "yours" => "mine",
        "i" or "me" => "you",
        "am" => "are",
        _ => m.Value,
    });

    private static string Capitalize(string text) =>
        text.Length == 0 ? text : string.Concat(char.ToUpperInvariant(text[0]).ToString(), text.AsSpan(1));

    private static string Sentence(string text) =>
        text.EndsWith('.') || text.EndsWith('!') || text.EndsWith('?') ? text : text + ".";

    private static bool Offers(ChatOptions? options, string tool) =>
        options?.Tools?.Any(t => string.Equals(t.Name, tool, StringComparison.Ordinal)) == true;

    // "use <tool> {json}": an explicit call of any offered tool, so that every tool (an MCP server's too) can be driven offline.
    private static ChatMessage UseTool(IReadOnlyList<ChatMessage> messages, ChatOptions? options, string name, string json)
    {
        var offered = options?.Tools?.Select(static t => t.Name).ToList() ?? [];
        // "mcp:files/list_directory" and "files/list_directory" name what the model sees as mcp__files__list_directory.
        var wanted = (name.StartsWith(McpToolNames.Prefix, StringComparison.Ordinal) ? McpModelPrefix + name[McpToolNames.Prefix.Length..] : name).Replace("/", "__", StringComparison.Ordinal);
        var matches = offered.Where(t => string.Equals(t, wanted, StringComparison.Ordinal)).ToList() is { Count: > 0 } exact
            ? exact
            : [.. offered.Where(t => t.EndsWith("__" + wanted, StringComparison.Ordinal))];
        if (matches.Count != 1)
        {
            var tools = offered.Count == 0 ? "none" : string.Join(", ", offered.Order(StringComparer.Ordinal));
            return Say(matches.Count == 0
                ? $"I have no tool '{name}' to use. The tools I can use: {tools}."
                : $"'{name}' could be {string.Join(" or ", matches.Order(StringComparer.Ordinal))}; say which.");
        }

        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (json.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    arguments[property.Name] = property.Value.Clone();
                }
            }
            catch (JsonException ex)
            {
                return Say($"The arguments of {name} are not a JSON object: {ex.Message}");
            }
        }

        return Call(messages, (matches[0], arguments));
    }

    private static string ToolReturned(string? tool, string value)
    {
        // An MCP tool is named as configured, without the model's mcp__ prefix: "files/list_directory".
        var subject = tool is null ? "The tool" : $"The {tool} tool";
        var mcp = false;
        if (tool is not null && tool.StartsWith(McpModelPrefix, StringComparison.Ordinal)
            && tool.IndexOf("__", McpModelPrefix.Length, StringComparison.Ordinal) is var split && split > McpModelPrefix.Length)
        {
            mcp = true;
            subject = $"The {tool[McpModelPrefix.Length..split]}/{tool[(split + 2)..]} tool";
        }

        // An MCP tool's text (a listing, a file) and any text of several lines is shown as it is, below the sentence.
        var text = value.TrimEnd();
        return mcp || text.Contains('\n', StringComparison.Ordinal) ? $"{subject} returned:\n{text}" : Sentence($"{subject} returned: {text}");
    }

    // "use list_directory {"path": "shared"}", "use mcp__files__read_text_file {...}", "use clock"
    [GeneratedRegex(@"^use\s+(?<tool>[\w\-:/.]+)(?:\s+(?<arguments>\{.*\}))?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex UseRequest();

    [GeneratedRegex(@"[0-9.+\-*/()\s]+")]
    private static partial Regex ArithmeticRun();

    // An operator after an operand: "6*7" and "2+*3" (sent on, for the calculator to reject), not "-5".
    [GeneratedRegex(@"[0-9.)]\s*[-+*/]")]
    private static partial Regex BinaryOperator();

    [GeneratedRegex(
        @"\b(what\s+time|what\s+date|what\s+day|which\s+day|what(?:'s|’s|\s+is)\s+(?:the\s+)?(?:current\s+)?(?:time|date|day)|today'?s\s+date|current\s+(?:time|date)|tell\s+me\s+the\s+(?:time|date))\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeQuestion();

    // "send a message to ada@example.com: the deploy is done", "Please send ada a note saying hi", "message bob: lunch?"
    [GeneratedRegex(
        @"^(?:please\s+)?(?:(?:send|write)\s+(?:(?:a|an)\s+(?:message|note|e-?mail)\s+to\s+(?<to>[^\s:,]+)|(?<to>[^\s:,]+)\s+(?:a|an)\s+(?:message|note|e-?mail))|message\s+(?<to>[^\s:,]+))\s*(?::|,|\bsaying\b|\bthat\b)\s*(?<text>\S.*)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex SendRequest();

    [GeneratedRegex(
        @"^(?:(?:and|so|ok|okay|now)[,\s]+)?(?:(?:what|who|where|when|which)(?:\s+(?<verb>is|are|was|were)\b|(?<verb>'s|’s))\s*(?<subject>[^?]+?)|do\s+you\s+(?:know|remember)\s+(?<subject>[^?]+?))[\s?.!]*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Question();

    // Fillers and "remember that" before a statement: "Actually, my name is Ada" states "my name is Ada".
    [GeneratedRegex(
        @"^(?:(?:actually|also|and|so|oh|ok|okay|btw|by\s+the\s+way)\b[,\s]*)*(?:(?:please\s+)?(?:remember|note|keep\s+in\s+mind)(?:\s+that)?[:,]?\s+)?",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StatementPrefix();

    [GeneratedRegex(@"^(?<subject>[\p{L}][\p{L}\p{N}'’ -]{0,79}?)\s+(?<verb>is|are|was|were)\s+(?<value>.+?)[\s.!]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Statement();

    [GeneratedRegex(@"^(?:what|who|where|when|which|how|why|is|are|do|does|did|can|could|would|will)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionWord();

    [GeneratedRegex(@"\b(?:my|your|mine|yours|i|me|am)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pronoun();

    [GeneratedRegex(@"^(?:the|a|an)\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Article();

    [GeneratedRegex(@"^(?:The|A|An)\b", RegexOptions.CultureInvariant)]
    private static partial Regex LeadingArticle();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // "remember that ...", "please note: ...": the user asks for it to be kept.
    [GeneratedRegex(@"\b(?:remember|note|keep\s+in\s+mind)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RememberRequest();

    // A statement about the user themselves: "my name", "my favourite colour".
    [GeneratedRegex(@"^my\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SelfSubject();

    private const string Remembered = "remembered: ";

    private readonly record struct Fact(string Subject, string Verb, string Value);
}
