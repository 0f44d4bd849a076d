using System.Text;
using AgentGrains.Storage.Orleans.Sqlite;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace AgentGrains.Tests.Storage.Orleans;

/// <summary>Orleans grain state kept in the embedded SQLite file: through grains, and through the storage provider itself.</summary>
[Trait("Category", "Cluster")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteGrainStorageTests : IDisposable
{
    private readonly TempDirectory directory = new();
    private readonly string serviceId = Guid.NewGuid().ToString("N");

    private string DatabasePath => directory.File("agentgrains.db");

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task WriteStateAsync_ThenDeactivate_NextActivationReadsIt()
    {
        await using var cluster = await StartAsync();
        var note = cluster.Client.GetGrain<INoteGrain>("deactivated");
        await note.WriteAsync("remember me");

        await cluster.DeactivateAsync(note);

        Assert.Equal("remember me", await note.ReadAsync());
    }

    [Fact]
    public async Task WriteStateAsync_FullClusterRestart_BothStoragesReadItBack()
    {
        await using (var first = await StartAsync())
        {
            await first.Client.GetGrain<INoteGrain>("restarted").WriteAsync("named storage");
            await first.Client.GetGrain<ILabelGrain>("restarted").WriteAsync("default storage");
        }

        await using var second = await StartAsync();

        Assert.Equal("named storage", await second.Client.GetGrain<INoteGrain>("restarted").ReadAsync());
        Assert.Equal("default storage", await second.Client.GetGrain<ILabelGrain>("restarted").ReadAsync());
    }

    [Fact]
    public async Task WriteStateAsync_AfterAnotherWriterMovedTheVersion_IsRefused()
    {
        await using var cluster = await StartAsync();
        var note = cluster.Client.GetGrain<INoteGrain>("contested");
        await note.WriteAsync("first");

        // Another writer of the same state (a second activation, say) moves the stored version on.
        var storage = Storage(cluster);
        var other = new GrainState<NoteState>();
        await storage.ReadStateAsync(NoteState.Name, NoteId("contested"), other, Cancel);
        other.State!.Text = "other";
        await storage.WriteStateAsync(NoteState.Name, NoteId("contested"), other, Cancel);

        await Assert.ThrowsAsync<InconsistentStateException>(() => note.WriteAsync("stale"));
        var stored = new GrainState<NoteState>();
        await storage.ReadStateAsync(NoteState.Name, NoteId("contested"), stored, Cancel);
        Assert.Equal("other", stored.State!.Text);
    }

    [Fact]
    public async Task WriteStateAsync_TwoFirstWritersWithoutETag_SecondIsRefused()
    {
        await using var cluster = await StartAsync();
        var storage = Storage(cluster);
        var id = NoteId("first-writers");
        var one = new GrainState<NoteState>(new NoteState { Text = "one" });
        var two = new GrainState<NoteState>(new NoteState { Text = "two" });

        await storage.WriteStateAsync(NoteState.Name, id, one, Cancel);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(NoteState.Name, id, two, Cancel));
        var stored = new GrainState<NoteState>();
        await storage.ReadStateAsync(NoteState.Name, id, stored, Cancel);
        Assert.Equal("one", stored.State!.Text);
        Assert.Equal(one.ETag, stored.ETag);
    }

    [Fact]
    public async Task ClearStateAsync_ThenWriteWithTheOldETag_IsRefusedAndStateStaysEmpty()
    {
        await using var cluster = await StartAsync();
        var storage = Storage(cluster);
        var id = NoteId("cleared");
        var writer = new GrainState<NoteState>(new NoteState { Text = "before" });
        await storage.WriteStateAsync(NoteState.Name, id, writer, Cancel);
        var stale = new GrainState<NoteState>();
        await storage.ReadStateAsync(NoteState.Name, id, stale, Cancel);

        await storage.ClearStateAsync(NoteState.Name, id, writer, Cancel);

        Assert.False(writer.RecordExists);
        stale.State!.Text = "stale";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(NoteState.Name, id, stale, Cancel));
        var read = new GrainState<NoteState>();
        await storage.ReadStateAsync(NoteState.Name, id, read, Cancel);
        Assert.False(read.RecordExists);
        Assert.Null(read.State!.Text);
        Assert.Equal(writer.ETag, read.ETag);
        // The holder of the current ETag may write again.
        read.State.Text = "after";
        await storage.WriteStateAsync(NoteState.Name, id, read, Cancel);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task WriteStateAsync_GrainsThatShareAKeyOrAHexValue_KeepTheirOwnState()
    {
        await using var cluster = await StartAsync();
        // A note and a label with one key and one state name; and keys that Orleans' ADO.NET
        // provider alone would read as the same hexadecimal number.
        await cluster.Client.GetGrain<INoteGrain>("shared").WriteAsync("note");
        await cluster.Client.GetGrain<ILabelGrain>("shared").WriteAsync("label");
        await cluster.Client.GetGrain<INoteGrain>("abc").WriteAsync("lower");
        await cluster.Client.GetGrain<INoteGrain>("ABC").WriteAsync("upper");
        await cluster.Client.GetGrain<INoteGrain>("0abc").WriteAsync("leading zero");

        Assert.Equal("note", await cluster.Client.GetGrain<INoteGrain>("shared").ReadAsync());
        Assert.Equal("label", await cluster.Client.GetGrain<ILabelGrain>("shared").ReadAsync());
        var storage = Storage(cluster);
        foreach (var (key, text) in new[] { ("abc", "lower"), ("ABC", "upper"), ("0abc", "leading zero") })
        {
            var state = new GrainState<NoteState>();
            await storage.ReadStateAsync(NoteState.Name, NoteId(key), state, Cancel);
            Assert.Equal(text, state.State!.Text);
        }

        Assert.Equal(5L, await ScalarAsync("SELECT COUNT(*) FROM orleans_grain_state WHERE service_id = $service"));
    }

    [Fact]
    public async Task ReadStateAsync_StateTypeRenamed_ReadsWhatTheOldTypeWrote()
    {
        await using var cluster = await StartAsync();
        await cluster.Client.GetGrain<INoteGrain>("renamed").WriteAsync("kept");

        var renamed = new GrainState<RenamedNoteState>();
        await Storage(cluster).ReadStateAsync(NoteState.Name, NoteId("renamed"), renamed, Cancel);

        Assert.Equal("kept", renamed.State!.Text);
        Assert.Equal(1, renamed.State.Revision);
        // Plain JSON: no type names that a rename or a new assembly version would break.
        var json = Encoding.UTF8.GetString((byte[])(await ScalarAsync("SELECT payload FROM orleans_grain_state WHERE service_id = $service"))!);
        Assert.Equal("""{"Text":"kept","Revision":1}""", json);
    }

    private Task<SqliteOrleansCluster> StartAsync() => SqliteOrleansCluster.StartAsync(DatabasePath, serviceId);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static IGrainStorage Storage(SqliteOrleansCluster cluster) =>
        cluster.SiloServices.GetRequiredKeyedService<IGrainStorage>(SqliteSiloBuilderExtensions.GrainStorageName);

    private static GrainId NoteId(string key) => GrainId.Create("note", key);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$service", serviceId);
        return await command.ExecuteScalarAsync(Cancel);
    }
}
