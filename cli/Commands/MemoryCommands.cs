using System.Globalization;
using AgentGrains.Cli.Http;
using AgentGrains.Cli.Rendering;
using Spectre.Console;

namespace AgentGrains.Cli.Commands;

/// <summary><c>agentgrains memories list|forget</c>: what agents remembered about a user.</summary>
internal sealed class MemoryCommands(GatewayClient gateway, CliConsole console)
{
    public async Task<int> ListAsync(string userId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var page = await gateway.GetMemoriesAsync(userId, limit, cursor, cancellationToken).ConfigureAwait(false);
        if (page.Facts.Count == 0 && cursor is null)
        {
            console.Line($"no facts remembered about {page.UserId}");
            return ExitCodes.Ok;
        }

        var table = new Table { Border = console.Interactive ? TableBorder.Rounded : TableBorder.Minimal };
        foreach (var column in new[] { "id", "remembered at", "text", "session" })
        {
            table.AddColumn(new TableColumn(column));
        }

        foreach (var fact in page.Facts)
        {
            table.AddRow(
                fact.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(fact.CreatedAt.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture)),
                Markup.Escape(Format.OneLine(fact.Text, 120)),
                Markup.Escape(fact.SessionId ?? "-"));
        }

        console.Write(table);
        if (page.Next is not null)
        {
            console.Line($"more: agentgrains memories list {userId} --cursor {page.Next}");
        }

        return ExitCodes.Ok;
    }

    public async Task<int> ForgetAsync(string userId, string id, CancellationToken cancellationToken)
    {
        await gateway.DeleteMemoryAsync(userId, id, cancellationToken).ConfigureAwait(false);
        console.Line($"forgot fact {id} about {userId}");
        return ExitCodes.Ok;
    }

    public async Task<int> ForgetAllAsync(string userId, CancellationToken cancellationToken)
    {
        var deleted = await gateway.DeleteMemoriesAsync(userId, cancellationToken).ConfigureAwait(false);
        console.Line($"forgot {deleted.Deleted.ToString(CultureInfo.InvariantCulture)} {(deleted.Deleted == 1 ? "fact" : "facts")} about {deleted.UserId}");
        return ExitCodes.Ok;
    }
}
