using AgentGrains.Storage.Orleans.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.Storage.Orleans;

public interface INoteGrain : IGrainWithStringKey
{
    Task WriteAsync(string text);

    Task<string?> ReadAsync();

    Task ClearAsync();
}

/// <summary>A note in the named storage (<c>agentgrains</c>); each write increments <see cref="NoteState.Revision"/>.</summary>
public sealed class NoteGrain(
    [PersistentState(NoteState.Name, SqliteSiloBuilderExtensions.GrainStorageName)] IPersistentState<NoteState> state) : Grain, INoteGrain
{
    public async Task WriteAsync(string text)
    {
        state.State.Text = text;
        state.State.Revision++;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Text);

    public Task ClearAsync() => state.ClearStateAsync();
}

public interface ILabelGrain : IGrainWithStringKey
{
    Task WriteAsync(string text);

    Task<string?> ReadAsync();
}

/// <summary>
/// Another grain type with the same state name as <see cref="NoteGrain"/>, in the default storage
/// (the same file and table): a label and a note with one key must not share a row.
/// </summary>
public sealed class LabelGrain([PersistentState(NoteState.Name)] IPersistentState<NoteState> state) : Grain, ILabelGrain
{
    public async Task WriteAsync(string text)
    {
        state.State.Text = text;
        state.State.Revision++;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Text);
}

public sealed class NoteState
{
    public const string Name = "note";

    public string? Text { get; set; }

    public int Revision { get; set; }
}

/// <summary>What <see cref="NoteState"/> might be renamed to: same shape, another name and no shared type.</summary>
public sealed class RenamedNoteState
{
    public string? Text { get; set; }

    public int Revision { get; set; }
}
