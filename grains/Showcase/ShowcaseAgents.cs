using AgentGrains.Grains.Agents;
using AgentGrains.GrainInterfaces.Specialists;

namespace AgentGrains.Grains.Showcase;

/// <summary>The showcase agents: a research manager with searcher and analyst specialists, and a game of twenty questions.</summary>
/// <remarks>
/// <para>Each one has <see cref="AgentDefinition.Instructions"/> written for a real model and an
/// <see cref="AgentDefinition.OfflineModel"/> that plays its part deterministically while the silo
/// runs the offline scripted model, so the showcase works without a model provider and the same
/// agents use the real model once <c>Model:Provider</c> is set.</para>
/// <para>With a real model the twenty-questions questioner reads the player's message, so a
/// player who names the secret (<c>secret: penguin</c>, meant for demos and tests of the offline
/// game) tells it to the questioner too.</para>
/// </remarks>
public static class ShowcaseAgents
{
    /// <summary>The name of <see cref="Research"/>.</summary>
    public const string ResearchName = "research";

    /// <summary>The name of <see cref="Searcher"/>.</summary>
    public const string SearcherName = "searcher";

    /// <summary>The name of <see cref="Analyst"/>.</summary>
    public const string AnalystName = "analyst";

    /// <summary>The name of <see cref="TwentyQuestionsAgent"/>.</summary>
    public const string TwentyQuestionsName = "twenty-questions";

    /// <summary>The name of <see cref="Answerer"/>.</summary>
    public const string AnswererName = "answerer";

    /// <summary>A specialist that searches the corpus for one sub-query and answers with <see cref="SearchFindings"/>.</summary>
    public static AgentDefinition Searcher { get; } = new(
        SearcherName,
        "You search a small corpus of articles on durable execution and distributed systems for agents, for a research manager. "
        + "The user message is a JSON request with a query. Call the corpus_search tool with that query; if it returns [] you may call it once more "
        + "with other keywords for the same topic. Then reply with the findings: keep the query as given, and for each document the tool returned, "
        + "best first, give its id as documentId, its title and its excerpt exactly as returned. Never invent a document or change an excerpt; "
        + "if nothing matched, reply with an empty findings list.",
        [CorpusSearchTool.Name])
    {
        Contract = SpecialistContract.For<SearchRequest, SearchFindings>(
            "Searches the document corpus for ONE topic and returns the matching passages (document id, title, excerpt). "
            + "Call it once per topic; several calls in one reply run in parallel.",
            timeout: TimeSpan.FromMinutes(2)),
        MaxSteps = 4,
        OfflineModel = new SearcherModel(),
    };

    /// <summary>A specialist that writes a short cited report from findings; its response is the report text.</summary>
    public static AgentDefinition Analyst { get; } = new(
        AnalystName,
        "You write short research reports for a research manager. The user message is a JSON request with a question and findings, each with a "
        + "documentId, a title and an excerpt. Answer the question in a few sentences or a short numbered list, using only the findings. Follow "
        + "every claim with the citation of the document it comes from in square brackets, for example [idempotency-keys]. End with a line "
        + "'Sources:' followed by one line per cited document: '- [document-id] Title'. If the findings do not answer the question, say so "
        + "instead of guessing; never cite a document that is not in the findings.",
        [])
    {
        Contract = SpecialistContract.For<AnalysisRequest, string>(
            "Writes the final report: answers the question from the findings given, every claim followed by a citation like [document-id], "
            + "and a closing Sources list. Call it once, after the searches, with all findings merged and without duplicates.",
            timeout: TimeSpan.FromMinutes(5)),
        MaxSteps = 2,
        OfflineModel = new AnalystModel(),
    };

    /// <summary>A manager that plans a question into searches, runs them in parallel and has the analyst write the report.</summary>
    public static AgentDefinition Research { get; } = new(
        ResearchName,
        "You are a research manager. You answer questions about durable execution and distributed systems for agents from a small document "
        + "corpus only, through two specialists, in three steps. 1. Split the user's question into 2 or 3 focused sub-queries of a few keywords, "
        + "one topic each, and call the searcher tool once per sub-query, all in the same reply, so the searches run in parallel. "
        + "2. When the searcher results are in, call the analyst tool once with the user's question and all findings merged, one per document. "
        + "3. Reply with the analyst's report as it is. If a search came back as an error (a result starting with 'error:'), carry on with the "
        + "other findings and end the report with a note naming the sub-query that failed and why. Never answer from your own knowledge and "
        + "never cite a document the searchers did not return.",
        [])
    {
        Specialists = [SearcherName, AnalystName],
        MaxSteps = 6,
        OfflineModel = new ResearchModel(),
    };

    /// <summary>A specialist holding a secret animal for one game of twenty questions; it answers yes, no or correct.</summary>
    public static AgentDefinition Answerer { get; } = new(
        AnswererName,
        "You are the answerer in a game of twenty questions. The secret is one of these animals: " + Animals.Names + ". "
        + "A request whose question starts with a line 'New game: ...' starts a game: choose the secret then (if that line names one as "
        + "'secret: <animal>', choose that one) and keep it until the next new game. The question to answer is the last line of the request. "
        + "Reply with exactly one word: 'yes' or 'no' for a question about the secret, 'correct' for a guess that names it, and 'no' for a "
        + "guess that does not. Never reveal the secret otherwise.",
        [])
    {
        Contract = SpecialistContract.For<AnswerRequest, string>(
            "Answers one yes/no question about the secret animal with yes or no, or a guess ('Is it a penguin?') with correct or no. "
            + "It remembers the game: ask one question per call.",
            timeout: TimeSpan.FromMinutes(2),
            keepsConversation: true),
        // A game is up to 20 requests and replies; the secret comes from its first request, which must stay in view.
        HistoryWindow = (2 * TwentyQuestions.MaxQuestions) + 8,
        MaxSteps = 1,
        OfflineModel = new AnswererModel(),
    };

    /// <summary>A questioner that finds the answerer's secret animal in at most 20 yes/no questions.</summary>
    public static AgentDefinition TwentyQuestionsAgent { get; } = new(
        TwentyQuestionsName,
        "You play twenty questions as the questioner. The answerer specialist holds a secret animal, one of: " + Animals.Names + ". "
        + "Find it by calling the answerer tool with one yes/no question per reply, choosing each question to rule out about half of the animals "
        + "still possible. The first question of a game must start with the line 'New game: ' followed by the user's message, with the question "
        + "on the next line. When one animal is left, guess with 'Is it a <animal>?'. The answerer replies yes, no, or correct. When it says "
        + "correct, reply exactly 'Found it in N questions: <animal>.' where N counts every question you asked, guesses included. If 20 "
        + "questions are used up, reply exactly 'Gave up after 20 questions.'",
        [])
    {
        Specialists = [AnswererName],
        // 20 questions and the final answer, with one step to spare.
        MaxSteps = TwentyQuestions.MaxQuestions + 2,
        OfflineModel = new QuestionerModel(),
    };

    /// <summary>Every showcase agent, specialists first.</summary>
    public static IReadOnlyList<AgentDefinition> All { get; } = [Searcher, Analyst, Research, Answerer, TwentyQuestionsAgent];
}
