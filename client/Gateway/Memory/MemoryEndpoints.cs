using System.Globalization;
using AgentGrains.Client.Gateway.Errors;
using AgentGrains.Client.Gateway.Http;
using AgentGrains.Client.Gateway.Sessions;
using AgentGrains.Client.Gateway.Tenants;
using AgentGrains.GrainInterfaces.Memory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Orleans;

namespace AgentGrains.Client.Gateway.Memory;

/// <summary>The <c>/v1/users/{userId}/memories</c> resource: what agents remembered about a user, to read and to forget.</summary>
internal static class MemoryEndpoints
{
    private const string Listing = "memories";

    public static RouteGroupBuilder MapMemoryEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/users/{userId}/memories").WithTags("Memory");
        group.ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);

        group.MapGet(string.Empty, ListAsync)
            .WithName("ListMemories")
            .WithSummary("Lists the facts agents remembered about a user, newest first, a page at a time.")
            .WithDescription($"Each fact with its id, text, when it was remembered and where (session, run, step). ?limit= 1 to {PageQuery.MaxLimit} (default {PageQuery.DefaultLimit}); pass a page's next as ?cursor= for older facts (null on the last page). A user with no facts has an empty list. 400 for a bad user id, limit or cursor.")
            .ProducesValidationProblem();

        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteMemory")
            .WithSummary("Deletes one fact; it is in no later context of any of the user's sessions.")
            .WithDescription("204 when deleted; 404 when the user has no fact with that id; 400 for a bad user id or fact id.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapDelete(string.Empty, DeleteAllAsync)
            .WithName("DeleteMemories")
            .WithSummary("Deletes every fact of a user.")
            .WithDescription("200 with how many facts were deleted (0 for a user with none); 400 for a bad user id.")
            .ProducesValidationProblem();
        return group;
    }

    private static async Task<Ok<MemoryListResponse>> ListAsync(
        string userId,
        [FromQuery] string? limit,
        [FromQuery] string? cursor,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        Validate(userId);
        var size = PageQuery.Limit(limit);
        long before = 0;
        if (PageQuery.Key(Listing, cursor) is { } key
            && (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before < 1))
        {
            throw GatewayProblemException.Invalid("cursor", "cursor is not one this listing handed out; send the 'next' value of the previous page of memories as is, or omit cursor for the newest facts.");
        }

        var memory = grains.Memory(userId);
        var page = await caller.ReadAsync(() => memory.ListAsync(before, size), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new MemoryListResponse(userId, page.Facts, PageQuery.Cursor(Listing, page.Next?.ToString(CultureInfo.InvariantCulture))));
    }

    private static async Task<NoContent> DeleteAsync(
        string userId,
        string id,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        Validate(userId);
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var factId) || factId < 1)
        {
            throw GatewayProblemException.Invalid("id", $"id must be a fact's id as GET /v1/users/{{userId}}/memories lists it (a positive whole number); it was '{id}'.");
        }

        // Deleting is idempotent in effect, so a call lost with its silo is simply sent again.
        var memory = grains.Memory(userId);
        return await caller.ReadAsync(() => memory.DeleteAsync(factId), cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : throw GatewayProblemException.NotFound("The fact was not found.", $"User '{userId}' has no fact {factId}; GET /v1/users/{userId}/memories lists their facts.");
    }

    private static async Task<Ok<MemoriesDeletedResponse>> DeleteAllAsync(
        string userId,
        [FromServices] TenantGrains grains,
        [FromServices] SessionCaller caller,
        CancellationToken cancellationToken)
    {
        Validate(userId);
        var memory = grains.Memory(userId);
        var deleted = await caller.ReadAsync(memory.DeleteAllAsync, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new MemoriesDeletedResponse(userId, deleted));
    }

    private static void Validate(string userId)
    {
        if (UserIds.Problem(userId, "userId") is { } problem)
        {
            throw GatewayProblemException.Invalid("userId", problem);
        }
    }
}

/// <summary>A page of a user's facts, newest first.</summary>
/// <param name="UserId">Whose facts they are.</param>
/// <param name="Facts">The facts.</param>
/// <param name="Next">The cursor of the next (older) page; null on the last page.</param>
internal sealed record MemoryListResponse(string UserId, IReadOnlyList<MemoryEntry> Facts, string? Next);

/// <summary>The answer to deleting all of a user's facts.</summary>
/// <param name="UserId">Whose facts they were.</param>
/// <param name="Deleted">How many were deleted.</param>
internal sealed record MemoriesDeletedResponse(string UserId, int Deleted);
