using AgentGrains.Runtime.Storage;
using AgentGrains.Runtime.Storage.Sqlite;
using AgentGrains.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentGrains.Tests.Runtime.Storage;

[Trait("Category", "Integration")]
[Trait("Provider", "Sqlite")]
public sealed class SqliteGrainStorageTests : GrainStorageContractTests
{
    private readonly TempDirectory directory = new();

    private protected override Task<IGrainStorage> CreateStorageAsync() =>
        Task.FromResult<IGrainStorage>(new SqliteGrainStorage(
            new StorageOptions { Path = directory.File("contract.db"), FlushEachCommit = false },
            NullLogger<SqliteGrainStorage>.Instance));

    [Fact]
    public async Task Initialize_SecondTimeOnSameFile_KeepsDataAndAppliesNothingTwice()
    {
        await using var again = new SqliteGrainStorage(
            new StorageOptions { Path = directory.File("contract.db"), FlushEachCommit = false },
            NullLogger<SqliteGrainStorage>.Instance);
        await Storage.EnqueueAsync(new InboxMessage(new("counter", "x"), "k", "M", "[]", null, DateTimeOffset.UnixEpoch), CancellationToken.None);

        await again.InitializeAsync(CancellationToken.None);

        Assert.Single(await again.ReadPendingAsync(new("counter", "x"), CancellationToken.None));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        directory.Dispose();
    }
}
