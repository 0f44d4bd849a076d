using System.Threading.Channels;
using AgentGrains.Cli.Http;
using AgentGrains.Cli.Rendering;
using Spectre.Console;

namespace AgentGrains.Cli.Commands;

/// <summary><c>agentgrains chat</c>: a conversation with an agent, one run per line read, each followed live until it ends.</summary>
internal sealed class ChatCommand(GatewayClient gateway, CliConsole console)
{
    /// <summary>What ends the chat besides the end of input.</summary>
    public const string ExitCommand = "/exit";

    // Attempts at sending one message while the gateway is unreachable or unavailable (about 7 s in all).
    private const int MaxSendAttempts = 5;

    private static readonly TimeSpan SpinnerTick = TimeSpan.FromMilliseconds(100);

    public async Task<int> RunAsync(string agent, string? sessionId, string? userId, CancellationToken cancellationToken)
    {
        var session = await gateway.CreateSessionAsync(agent, sessionId, userId, cancellationToken).ConfigureAwait(false);
        if (console.Interactive)
        {
            var user = session.UserId is null ? string.Empty : $" [grey]for user[/] [bold]{Markup.Escape(session.UserId)}[/]";
            console.Out.MarkupLine($"[grey]session[/] [bold]{Markup.Escape(session.SessionId)}[/] [grey]with[/] [bold]{Markup.Escape(session.Agent)}[/]{user} [grey]at {Markup.Escape(gateway.Display)}; type a message, {ExitCommand} to leave[/]");
        }
        else
        {
            console.Line($"session {session.SessionId} with {session.Agent}{(session.UserId is null ? string.Empty : $" for user {session.UserId}")}");
        }

        while (true)
        {
            if (console.Interactive)
            {
                console.Out.Markup("[bold]> [/]");
            }

            var line = await console.Input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null || line.Trim() == ExitCommand)
            {
                return ExitCodes.Ok;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var accepted = await SendAsync(session.SessionId, line, cancellationToken).ConfigureAwait(false);
            var keepGoing = console.Interactive
                ? await FollowLiveAsync(accepted.RunId, session.Agent, cancellationToken).ConfigureAwait(false)
                : await FollowPlainAsync(accepted.RunId, cancellationToken).ConfigureAwait(false);
            if (!keepGoing)
            {
                return ExitCodes.Ok;
            }
        }
    }

    /// <summary>Sends a message; an attempt whose answer was lost is sent again with the same Idempotency-Key, so the message is taken once.</summary>
    private async Task<MessageAcceptedDto> SendAsync(string sessionId, string text, CancellationToken cancellationToken)
    {
        var key = $"cli-{Guid.NewGuid():N}";
        var delay = TimeSpan.FromMilliseconds(500);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await gateway.SendMessageAsync(sessionId, text, key, cancellationToken).ConfigureAwait(false);
            }
            catch (CliException ex) when (ex.Transient && attempt < MaxSendAttempts)
            {
                await console.Error.WriteLineAsync($"{ex.Message}; sending the message again with the same Idempotency-Key").ConfigureAwait(false);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    /// <summary>Prints each event as a line, the reply at the end; false when the input ended at an approval question.</summary>
    private async Task<bool> FollowPlainAsync(string runId, CancellationToken cancellationToken)
    {
        var reader = new RunEventReader(gateway, console.Error.WriteLine);
        await foreach (var streamed in reader.ReadAsync(runId, lastEventId: null, cancellationToken).ConfigureAwait(false))
        {
            var e = streamed.Event;
            if (e.Type == "approval.requested" && e.Call is not null)
            {
                if (!await AskAsync(e.RunId, e.Call, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                continue;
            }

            foreach (var line in EventLines.Chat(e))
            {
                console.Line(line);
            }

            if (e.IsRoot && e.Type == RunEventReader.Finished)
            {
                console.Line(e.Status == "completed" ? e.Text ?? string.Empty : $"run {e.RunId} {e.Status}{(e.Reason is null ? string.Empty : ": " + e.Reason)}");
            }
        }

        return true;
    }

    /// <summary>Shows the run tree live, stopping the display to ask for approvals; false when the input ended at an approval question.</summary>
    private async Task<bool> FollowLiveAsync(string runId, string agent, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Channel.CreateUnbounded<StreamedEvent>();
        var notices = new List<string>();
        var reader = new RunEventReader(gateway, notice => { lock (notices) { notices.Add(notice); } });
        var pump = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var e in reader.ReadAsync(runId, lastEventId: null, stop.Token).ConfigureAwait(false))
                    {
                        await events.Writer.WriteAsync(e, stop.Token).ConfigureAwait(false);
                    }

                    events.Writer.Complete();
                }
                catch (Exception ex)
                {
                    events.Writer.Complete(ex);
                }
            },
            CancellationToken.None);

        var view = new LiveRunView(runId, agent);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (true)
            {
                RunEventDto? approval = null;
                var finished = false;
                await console.Out.Live(view.Render(clock.Elapsed)).AutoClear(false).StartAsync(async live =>
                {
                    while (approval is null && !finished)
                    {
                        var ready = events.Reader.WaitToReadAsync(cancellationToken).AsTask();
                        if (await Task.WhenAny(ready, Task.Delay(SpinnerTick, cancellationToken)).ConfigureAwait(false) == ready && !await ready.ConfigureAwait(false))
                        {
                            finished = true;
                        }

                        while (approval is null && events.Reader.TryRead(out var streamed))
                        {
                            view.Apply(streamed.Event);
                            if (streamed.Event.Type == "approval.requested" && streamed.Event.Call is not null)
                            {
                                approval = streamed.Event;
                            }
                        }

                        live.UpdateTarget(view.Render(clock.Elapsed));
                    }
                }).ConfigureAwait(false);

                lock (notices)
                {
                    foreach (var notice in notices)
                    {
                        console.Error.WriteLine(notice);
                    }

                    notices.Clear();
                }

                if (approval is not null)
                {
                    if (!await AskAsync(approval.RunId, approval.Call!, cancellationToken).ConfigureAwait(false))
                    {
                        return false;
                    }

                    continue;
                }

                if (view.Status == "completed")
                {
                    console.Out.Write(new Panel(new Text(view.Reply ?? string.Empty)).Header(agent).BorderColor(Color.Green));
                    console.Out.WriteLine();
                }
                else
                {
                    console.Out.MarkupLine($"[red]run {Markup.Escape(runId)} {Markup.Escape(view.Status)}[/]{(view.Reason is null ? string.Empty : ": " + Markup.Escape(view.Reason))}");
                }

                return true;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
        }
    }

    /// <summary>Asks whether to run a call and posts the answer; false when the input ended first.</summary>
    private async Task<bool> AskAsync(string runId, ToolCallDto call, CancellationToken cancellationToken)
    {
        while (true)
        {
            var question = EventLines.ApprovalQuestion(call);
            if (console.Interactive)
            {
                console.Out.Markup($"[yellow]{Markup.Escape(question)}[/] ");
            }
            else
            {
                console.Line(question);
            }

            var answer = await console.Input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                console.Error.WriteLine($"no answer: the run waits; decide with `agentgrains approve {runId} {call.CallId}` or `agentgrains deny {runId} {call.CallId}`");
                return false;
            }

            bool? approve = answer.Trim().ToLowerInvariant() switch
            {
                "y" or "yes" => true,
                "n" or "no" => false,
                _ => null,
            };
            if (approve is { } decision)
            {
                try
                {
                    await gateway.DecideAsync(runId, call.CallId, decision, $"cli-{Guid.NewGuid():N}", cancellationToken).ConfigureAwait(false);
                }
                catch (CliException ex) when (!ex.Transient)
                {
                    // Decided already (the approval timed out, or someone else answered): the run goes on either way.
                    console.Error.WriteLine($"agentgrains: {ex.Message}");
                }

                return true;
            }
        }
    }
}
