using AgentGrains.Client.Gateway.Errors;
using AgentGrains.GrainInterfaces.Sessions;
using AgentGrains.GrainInterfaces.Messages;
using AgentGrains.Storage;
using AgentGrains.Storage.Journal;
using Microsoft.AspNetCore.Http;

namespace AgentGrains.Tests.Gateway;

/// <summary>The one exception-to-status mapping, for failures the HTTP tests cannot provoke on demand (timeouts, storage).</summary>
[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class GatewayExceptionMappingTests
{
    public static TheoryData<Exception, int> Cases => new()
    {
        { new SessionNotFoundException("Session 'a' does not exist."), 404 },
        { new UnknownAgentException("Unknown agent 'x'."), 400 },
        { new SessionConflictException("Session 'a' already exists for agent 'b'."), 409 },
        { new ArgumentException("The message text is empty."), 400 },
        { new MessageKeyReusedException("Idempotency key 'k' was already used for another message."), 422 },
        { new TimeoutException("Response did not arrive on time in 00:00:30 for message: Request agent-session/a."), 504 },
        { new Orleans.Runtime.SiloUnavailableException("The target silo became unavailable for message: Request agent-session/a."), 503 },
        { new SessionUnavailableException("This activation of session 'a' is going away."), 503 },
        { new StorageException("database is locked", isTransient: true), 500 },
        { new JournalConflictException("Session a is no longer at version 3."), 500 },
        { new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge), 413 },
        { new InvalidOperationException("secret connection string"), 500 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToProblem_Exception_MapsToItsStatus(Exception exception, int status)
    {
        var problem = GatewayExceptionHandler.ToProblem(exception);

        Assert.Equal(status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ToProblem_ServerFault_DoesNotLeakTheExceptionMessage(Exception exception, int status)
    {
        var problem = GatewayExceptionHandler.ToProblem(exception);

        if (status >= 500 || exception is MessageKeyReusedException)
        {
            // Server faults name no internals; a reused key and a timeout are told in the API's words
            // (the grain's messages name the key as stored, the grain and the call).
            Assert.DoesNotContain(exception.Message, problem.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("agent-session", problem.Detail, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(exception.Message, problem.Detail);
        }
    }

    [Fact]
    public void ToProblem_ValidationFailure_IsValidationProblemNamingTheField()
    {
        var problem = GatewayExceptionHandler.ToProblem(GatewayProblemException.Invalid("text", "text is required."));

        var validation = Assert.IsType<HttpValidationProblemDetails>(problem);
        Assert.Equal(400, validation.Status);
        Assert.Equal(["text is required."], validation.Errors["text"]);
    }
}
