using AgentGrains.Cli.Http;
using AgentGrains.Cli.Rendering;
using Spectre.Console;

namespace AgentGrains.Cli.Commands;

/// <summary><c>agentgrains cluster</c>, <c>sessions</c> and <c>agents</c>: tables.</summary>
internal sealed class ListCommands(GatewayClient gateway, CliConsole console, TimeProvider time)
{
    public async Task<int> ClusterAsync(CancellationToken cancellationToken)
    {
        var cluster = await gateway.GetClusterAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var table = NewTable("silo", "address", "status", "last heartbeat", "activations");
        foreach (var silo in cluster.Silos)
        {
            table.AddRow(
                Markup.Escape(silo.Id),
                Markup.Escape(silo.Address),
                SiloStatus(silo.Status),
                Markup.Escape(Format.Age(silo.LastHeartbeat, now)),
                silo.Activations.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        console.Write(table);
        console.Line($"{cluster.Silos.Count(static s => s.Status == "active")} of {cluster.Silos.Count} silos active");
        return ExitCodes.Ok;
    }

    public async Task<int> SessionsAsync(int limit, string? cursor, string? agent, CancellationToken cancellationToken)
    {
        var page = await gateway.GetSessionsAsync(limit, cursor, agent, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var table = NewTable("session", "agent", "status", "runs", "active run", "last activity");
        foreach (var session in page.Sessions)
        {
            table.AddRow(
                Markup.Escape(session.SessionId),
                Markup.Escape(session.CurrentAgent is null ? session.Agent : $"{session.Agent} → {session.CurrentAgent}"),
                RunTreeView.Status(session.Status),
                session.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(session.ActiveRunId ?? "-"),
                Markup.Escape(Format.Age(session.LastActivityAt, now)));
        }

        console.Write(table);
        if (page.Next is not null)
        {
            console.Line($"more: agentgrains sessions --cursor {page.Next}");
        }

        return ExitCodes.Ok;
    }

    public async Task<int> AgentsAsync(CancellationToken cancellationToken)
    {
        var agents = await gateway.GetAgentsAsync(cancellationToken).ConfigureAwait(false);
        var table = NewTable("agent", "tools", "specialists", "description");
        foreach (var agent in agents.Agents)
        {
            table.AddRow(
                Markup.Escape(agent.Name),
                Markup.Escape(List(agent.Tools)),
                Markup.Escape(List(agent.Specialists)),
                Markup.Escape(Format.OneLine(agent.Description, 80)));
        }

        console.Write(table);
        return ExitCodes.Ok;
    }

    private static string SiloStatus(string status) => status switch
    {
        "active" => "[green]active[/]",
        "dead" => "[red]dead[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };

    private static string List(IReadOnlyList<string>? items) => items is { Count: > 0 } ? string.Join(", ", items) : "-";

    private Table NewTable(params string[] columns)
    {
        var table = new Table { Border = console.Interactive ? TableBorder.Rounded : TableBorder.Minimal };
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column));
        }

        return table;
    }
}
