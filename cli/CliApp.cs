using System.CommandLine;
using System.CommandLine.Invocation;
using AgentGrains.Cli.Commands;
using AgentGrains.Cli.Http;

namespace AgentGrains.Cli;

/// <summary>The <c>agentgrains</c> command line: its commands, options and exit codes.</summary>
internal static class CliApp
{
    /// <summary>The environment variable that names the gateway when <c>--gateway</c> is not given.</summary>
    public const string GatewayVariable = "AGENTGRAINS_GATEWAY";

    /// <summary>The environment variable holding the API key sent to gateways that require one (never a command-line option: arguments show in process lists).</summary>
    public const string ApiKeyVariable = "AGENTGRAINS_API_KEY";

    /// <summary>The gateway a silo started with <c>dotnet run --project silo</c> serves.</summary>
    public const string DefaultGateway = "http://127.0.0.1:5080";

    /// <summary>Runs the command line; returns the exit code (0 done, 1 error, 2 usage).</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = Build(console);
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"agentgrains: {error.Message}").ConfigureAwait(false);
            }

            await console.Error.WriteLineAsync($"see `agentgrains {string.Join(' ', CommandPath(parsed.CommandResult.Command, root))}--help`").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Out.Profile.Out.Writer,
            Error = console.Error,
        };
        return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    private static RootCommand Build(CliConsole console)
    {
        var gateway = new Option<string>("--gateway", "-g")
        {
            Description = $"The gateway's address (default: ${GatewayVariable}, else {DefaultGateway})",
            HelpName = "url",
            Recursive = true,
            DefaultValueFactory = static _ => Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultGateway,
        };
        gateway.Validators.Add(static result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (GatewayUri(value) is null)
            {
                result.AddError($"'{value}' is not a gateway address; pass an http:// or https:// URL, e.g. {DefaultGateway}");
            }
        });

        var root = new RootCommand("agentgrains: talk to AgentGrains agents and inspect their runs through a gateway's HTTP API.")
        {
            gateway,
        };

        // chat
        var agent = new Argument<string>("agent") { Description = "The agent to talk to (see `agentgrains agents`), e.g. assistant" };
        var session = new Option<string?>("--session", "-s") { Description = "Reuse (or create) the session with this id; a new session otherwise", HelpName = "id" };
        var user = new Option<string?>("--user", "-u") { Description = "Create the session for this user: its agents remember facts about the user and recall them in the user's other sessions (see `agentgrains memories`)", HelpName = "userId" };
        var chat = new Command("chat", $"Chat with an agent: each line read is a message; its run is shown live until it ends. {ChatCommand.ExitCommand} or end of input leaves.")
        {
            agent,
            session,
            user,
        };
        chat.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new ChatCommand(client, console).RunAsync(parse.GetValue(agent)!, parse.GetValue(session), parse.GetValue(user), ct)));
        root.Add(chat);

        // runs show | tail
        var runs = new Command("runs", "Inspect a run");
        var showRunId = new Argument<string>("runId") { Description = "The run, e.g. demo~2" };
        var show = new Command("show", "Show a run as a tree: steps, tool calls and specialist runs, with status, tokens, cost and durations") { showRunId };
        show.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new RunCommands(client, console).ShowAsync(parse.GetValue(showRunId)!, ct)));
        var tailRunId = new Argument<string>("runId") { Description = "The run, e.g. demo~2" };
        var from = new Option<string?>("--from") { Description = "Print only the events after this event id (what the stream sent as id)", HelpName = "eventId" };
        var tail = new Command("tail", "Print a run's events until it finishes; reconnects after a dropped stream without losing or repeating an event") { tailRunId, from };
        tail.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new RunCommands(client, console).TailAsync(parse.GetValue(tailRunId)!, parse.GetValue(from), ct)));
        runs.Add(show);
        runs.Add(tail);
        root.Add(runs);

        // approve | deny
        root.Add(Decision("approve", "Approve a tool call a run waits on: the tool runs", approve: true, gateway, console));
        root.Add(Decision("deny", "Deny a tool call a run waits on: the tool does not run", approve: false, gateway, console));

        // cluster, sessions, agents
        var cluster = new Command("cluster", "List the cluster's silos: status, address, last heartbeat, active grains");
        cluster.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new ListCommands(client, console, TimeProvider.System).ClusterAsync(ct)));
        root.Add(cluster);

        var limit = new Option<int>("--limit") { Description = "Sessions per page, 1 to 100", DefaultValueFactory = static _ => 20, HelpName = "n" };
        var cursor = new Option<string?>("--cursor") { Description = "The page after the one that printed this cursor", HelpName = "cursor" };
        var byAgent = new Option<string?>("--agent") { Description = "Only the sessions created with this agent", HelpName = "agent" };
        var sessions = new Command("sessions", "List sessions, a page at a time") { limit, cursor, byAgent };
        sessions.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new ListCommands(client, console, TimeProvider.System).SessionsAsync(parse.GetValue(limit), parse.GetValue(cursor), parse.GetValue(byAgent), ct)));
        root.Add(sessions);

        var agents = new Command("agents", "List the agents the cluster runs");
        agents.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new ListCommands(client, console, TimeProvider.System).AgentsAsync(ct)));
        root.Add(agents);

        root.Add(Memories(gateway, console));

        root.SetAction(parse =>
        {
            console.Error.WriteLine("agentgrains: name a command: chat, runs, approve, deny, cluster, sessions, agents or memories; see `agentgrains --help`");
            return ExitCodes.Usage;
        });
        return root;
    }

    /// <summary><c>memories list</c> and <c>memories forget</c>: a user's long-term memory.</summary>
    private static Command Memories(Option<string> gateway, CliConsole console)
    {
        var memories = new Command("memories", "List or forget what agents remembered about a user (the sessions created with `chat --user`)");

        var listUser = new Argument<string>("userId") { Description = "The user, e.g. ada" };
        var limit = new Option<int>("--limit") { Description = "Facts per page, 1 to 100", DefaultValueFactory = static _ => 20, HelpName = "n" };
        var cursor = new Option<string?>("--cursor") { Description = "The page after the one that printed this cursor", HelpName = "cursor" };
        var list = new Command("list", "List a user's facts, newest first, a page at a time: id, when, text and the session it was told in") { listUser, limit, cursor };
        list.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new MemoryCommands(client, console).ListAsync(parse.GetValue(listUser)!, parse.GetValue(limit), parse.GetValue(cursor), ct)));
        memories.Add(list);

        var forgetUser = new Argument<string>("userId") { Description = "The user, e.g. ada" };
        var factId = new Argument<string?>("id") { Description = "The fact to forget (its id in `agentgrains memories list`)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Forget every fact of the user" };
        var forget = new Command("forget", "Forget one of a user's facts, or all of them with --all: no later run of any of the user's sessions recalls it") { forgetUser, factId, all };
        forget.Validators.Add(result =>
        {
            var hasId = result.GetValue(factId) is not null;
            var forgetAll = result.GetValue(all);
            if (hasId == forgetAll)
            {
                result.AddError(forgetAll ? "pass either a fact id or --all, not both" : "name the fact to forget (its id in `agentgrains memories list`), or pass --all");
            }
        });
        forget.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => parse.GetValue(all)
            ? new MemoryCommands(client, console).ForgetAllAsync(parse.GetValue(forgetUser)!, ct)
            : new MemoryCommands(client, console).ForgetAsync(parse.GetValue(forgetUser)!, parse.GetValue(factId)!, ct)));
        memories.Add(forget);
        return memories;
    }

    private static Command Decision(string name, string description, bool approve, Option<string> gateway, CliConsole console)
    {
        var runId = new Argument<string>("runId") { Description = "The run that waits, e.g. demo~4" };
        var callId = new Argument<string>("callId") { Description = "The tool call it waits on (callId in `agentgrains runs show`), e.g. call_3" };
        var command = new Command(name, description) { runId, callId };
        command.SetAction((parse, ct) => GuardAsync(parse, gateway, console, client => new RunCommands(client, console).DecideAsync(parse.GetValue(runId)!, parse.GetValue(callId)!, approve, ct)));
        return command;
    }

    /// <summary>Runs a command against the gateway; a <see cref="CliException"/> becomes one line on standard error and its exit code.</summary>
    private static async Task<int> GuardAsync(ParseResult parse, Option<string> gateway, CliConsole console, Func<GatewayClient, Task<int>> command)
    {
        var address = GatewayUri(parse.GetValue(gateway));
        if (address is null)
        {
            await console.Error.WriteLineAsync($"agentgrains: ${GatewayVariable} is '{parse.GetValue(gateway)}', not a gateway address; set an http:// or https:// URL, e.g. {DefaultGateway}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var client = new GatewayClient(address, apiKey: Environment.GetEnvironmentVariable(ApiKeyVariable));
        try
        {
            return await command(client).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"agentgrains: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C: the run goes on in the cluster; nothing to report.
            return 130;
        }
    }

    private static Uri? GatewayUri(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/")
            : null;

    private static string CommandPath(Command command, RootCommand root)
    {
        if (command == root)
        {
            return string.Empty;
        }

        var path = new List<string>();
        for (Command? current = command; current is not null && current != root; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            path.Insert(0, current.Name);
        }

        return string.Join(' ', path) + " ";
    }
}
