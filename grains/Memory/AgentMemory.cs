using System.Numerics.Tensors;
using AgentGrains.Grains.Tools;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.Storage.Memory;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AgentGrains.Grains.Memory;

/// <summary>Long-term memory as agents use it: remembers facts for a user and finds the ones relevant to a text.</summary>
/// <remarks>
/// <para>Facts live in the <see cref="IMemoryStore"/> (the silo's database), so every silo sees
/// the same memory and a deleted fact is gone from every later context.</para>
/// <para><b>Ranking.</b> Without an embedding generator, the store's full-text ranking (SQLite FTS5's
/// bm25, PostgreSQL's <c>ts_rank_cd</c>) decides. With an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
/// registered, each fact is embedded when remembered, and recall is hybrid: the full-text ranking
/// and the cosine similarity of the query's embedding to the user's facts are merged by reciprocal
/// rank fusion, so a fact that shares no word with the question (<c>I live in Lyon</c> for
/// <c>which city is my home?</c>) can still be found. An embedding that fails is logged, and the
/// fact is stored, or the recall ranked, by words alone.</para>
/// </remarks>
public sealed partial class AgentMemory
{
    /// <summary>The longest fact remembered, in characters.</summary>
    public const int MaxFactLength = 500;

    /// <summary>The longest query accepted, in characters (longer ones are cut).</summary>
    public const int MaxQueryLength = 2_000;

    /// <summary>How many facts a recall returns at most, and agents with memory are given.</summary>
    public const int DefaultLimit = 5;

    // Reciprocal rank fusion's constant: a fact's score is the sum over rankings of 1 / (K + rank).
    private const int FusionK = 60;

    // How many of the user's newest embedded facts are compared with the query's embedding.
    private const int MaxEmbeddedCandidates = 2_000;

    private readonly IMemoryStore store;
    private readonly TimeProvider timeProvider;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? embeddings;
    private readonly ILogger<AgentMemory> logger;

    /// <summary>Creates the memory over <paramref name="store"/>; with <paramref name="embeddings"/>, recall is hybrid.</summary>
    public AgentMemory(IMemoryStore store, TimeProvider timeProvider, ILogger<AgentMemory> logger, IEmbeddingGenerator<string, Embedding<float>>? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        this.store = store;
        this.timeProvider = timeProvider;
        this.embeddings = embeddings;
        this.logger = logger;
    }

    /// <summary>Whether recall merges embedding similarity with the full-text ranking.</summary>
    public bool IsHybrid => embeddings is not null;

    /// <summary>Remembers <paramref name="fact"/> for the call's user, once per call (its idempotency key).</summary>
    /// <exception cref="InvalidOperationException">The session has no user.</exception>
    /// <exception cref="ArgumentException">The fact is empty or too long.</exception>
    public async Task<MemoryFact> RememberAsync(ToolContext context, string fact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var userId = UserOf(context);
        var text = fact?.Trim() ?? string.Empty;
        if (text.Length == 0 || text.Length > MaxFactLength)
        {
            throw new ArgumentException($"fact must be 1 to {MaxFactLength} characters: one short statement about the user.", nameof(fact));
        }

        var embedding = await EmbedAsync(text, cancellationToken).ConfigureAwait(false);
        var stored = await store.RememberAsync(
            new NewMemoryFact(userId, text, context.SessionId, context.RunId, context.Step, context.IdempotencyKey, timeProvider.GetUtcNow(), embedding),
            cancellationToken).ConfigureAwait(false);
        LogRemembered(logger, context.SessionId, context.RunId, stored.Id);
        return stored;
    }

    /// <summary>The user's facts most relevant to <paramref name="query"/>, best first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<MemoryFact>> RecallAsync(string userId, string query, int limit, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (query.Length > MaxQueryLength)
        {
            query = query[..MaxQueryLength];
        }

        // More candidates than asked for from each ranking, so the fusion has something to merge.
        var candidates = limit * 4;
        var byWords = await store.SearchAsync(userId, query, candidates, cancellationToken).ConfigureAwait(false);
        if (embeddings is null || await EmbedAsync(query, cancellationToken).ConfigureAwait(false) is not { } queryEmbedding)
        {
            return [.. byWords.Take(limit)];
        }

        var embedded = await store.ReadEmbeddedAsync(userId, MaxEmbeddedCandidates, cancellationToken).ConfigureAwait(false);
        var byMeaning = embedded
            .Where(f => f.Embedding is { } e && e.Length == queryEmbedding.Length)
            .Select(f => (Fact: f, Similarity: TensorPrimitives.CosineSimilarity(queryEmbedding, f.Embedding!)))
            .Where(static c => c.Similarity > 0)
            .OrderByDescending(static c => c.Similarity)
            .ThenByDescending(static c => c.Fact.Id)
            .Take(candidates)
            .Select(static c => c.Fact)
            .ToList();

        var scores = new Dictionary<long, (MemoryFact Fact, double Score)>();
        Fuse(byWords);
        Fuse(byMeaning);
        return [.. scores.Values.OrderByDescending(static s => s.Score).ThenByDescending(static s => s.Fact.Id).Take(limit).Select(static s => s.Fact with { Embedding = null })];

        void Fuse(IReadOnlyList<MemoryFact> ranking)
        {
            for (var rank = 0; rank < ranking.Count; rank++)
            {
                var fact = ranking[rank];
                var score = 1.0 / (FusionK + rank + 1);
                scores[fact.Id] = scores.TryGetValue(fact.Id, out var seen) ? (seen.Fact, seen.Score + score) : (fact, score);
            }
        }
    }

    /// <summary>The store's key of the call's user: the user id within the session's tenant (<see cref="TenantKeys"/>); a session without a user has no memory.</summary>
    /// <exception cref="InvalidOperationException">The session has no user.</exception>
    public static string UserOf(ToolContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserId is { } user
            ? TenantKeys.Key(context.Tenant, user)
            : throw new InvalidOperationException("this session has no user, so it has no long-term memory; sessions created with a userId can remember and recall.");
    }

    private async Task<float[]?> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        if (embeddings is null)
        {
            return null;
        }

        try
        {
            var embedding = await embeddings.GenerateAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false);
            return embedding.Vector.ToArray();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogEmbeddingFailed(logger, ex);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: run {RunId} remembered fact {FactId}")]
    private static partial void LogRemembered(ILogger logger, string sessionId, string runId, long factId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An embedding for long-term memory could not be made; words alone rank this fact or recall")]
    private static partial void LogEmbeddingFailed(ILogger logger, Exception exception);
}
