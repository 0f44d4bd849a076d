using AgentGrains.Cli.Http;
using AgentGrains.Cli.Rendering;
using Spectre.Console;

namespace AgentGrains.Cli.Commands;

/// <summary><c>agentgrains runs show|tail</c>, <c>approve</c> and <c>deny</c>.</summary>
internal sealed class RunCommands(GatewayClient gateway, CliConsole console)
{
    public async Task<int> ShowAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await gateway.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        console.Write(RunTreeView.Render(run, DateTimeOffset.UtcNow));
        return ExitCodes.Ok;
    }

    public async Task<int> TailAsync(string runId, string? from, CancellationToken cancellationToken)
    {
        var reader = new RunEventReader(gateway, console.Error.WriteLine);
        await foreach (var streamed in reader.ReadAsync(runId, from, cancellationToken).ConfigureAwait(false))
        {
            var line = EventLines.Tail(streamed.Event);
            if (console.Interactive)
            {
                console.Out.MarkupLine(Colour(streamed.Event.Type, Markup.Escape(line)));
            }
            else
            {
                console.Line(line);
            }
        }

        return ExitCodes.Ok;
    }

    public async Task<int> DecideAsync(string runId, string callId, bool approve, CancellationToken cancellationToken)
    {
        var run = await gateway.DecideAsync(runId, callId, approve, $"cli-{Guid.NewGuid():N}", cancellationToken).ConfigureAwait(false);
        var call = (run.Steps ?? []).SelectMany(static s => s.ToolCalls ?? []).FirstOrDefault(c => c.CallId == callId);
        var what = call is null ? callId : $"{call.Name} ({callId})";
        console.Line($"{(approve ? "approved" : "denied")} {what} in run {run.RunId}; the run is {run.Status}");
        return ExitCodes.Ok;
    }

    private static string Colour(string type, string text) => type switch
    {
        RunEventReader.Finished => $"[bold]{text}[/]",
        "approval.requested" => $"[yellow]{text}[/]",
        "tool.result" => $"[green]{text}[/]",
        "delegation.started" => $"[blue]{text}[/]",
        _ => text,
    };
}
