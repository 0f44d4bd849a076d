using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using AgentGrains.Grains.Tools;

namespace AgentGrains.Tests.Grains.Tools;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ToolArgumentValidatorTests
{
    // The schema AIFunctionFactory builds for Book below: the validator is checked against what models really see.
    private static readonly JsonElement BookSchema = AgentTool.Create(Book, "book").Function.JsonSchema;

    public enum Cabin
    {
        Economy,
        Business,
    }

    [Theory]
    [InlineData("""{"city":"Oslo","nights":2,"budget":150.5,"breakfast":true,"cabin":"Economy"}""")]
    [InlineData("""{"city":"Oslo","nights":2,"budget":150,"breakfast":false,"cabin":"Business","upgrade":null,"guests":null,"tags":null,"address":null}""")]
    [InlineData("""{"city":"Oslo","nights":-3,"budget":1e3,"breakfast":true,"cabin":"Economy","upgrade":"Business","guests":4,"tags":["a","b"],"address":{"street":"Main","number":1}}""")]
    public void Validate_ArgumentsThatFit_HasNoProblems(string arguments)
    {
        Assert.Empty(Validate(BookSchema, arguments));
    }

    [Fact]
    public void Validate_MissingRequiredAndUnknownProperties_NamesEach()
    {
        var problems = Validate(BookSchema, """{"nights":2,"budget":1,"breakfast":true,"cabin":"Economy","colour":"red"}""");

        Assert.Equal(
            ["'city' is required", "'colour' is not a parameter (parameters: city, nights, budget, breakfast, cabin, upgrade, guests, tags, address)"],
            problems);
    }

    [Theory]
    [InlineData("""{"city":7}""", "'city' must be a string, not the number 7")]
    [InlineData("""{"nights":2.5}""", "'nights' must be an integer, not the number 2.5")]
    [InlineData("""{"nights":2.0}""", "'nights' must be an integer, not the number 2.0")]
    [InlineData("""{"nights":"2"}""", "'nights' must be an integer, not a string")]
    [InlineData("""{"budget":"cheap"}""", "'budget' must be a number, not a string")]
    [InlineData("""{"breakfast":"yes"}""", "'breakfast' must be a boolean, not a string")]
    [InlineData("""{"breakfast":null}""", "'breakfast' must be a boolean, not null")]
    [InlineData("""{"guests":1.5}""", "'guests' must be an integer or null, not the number 1.5")]
    [InlineData("""{"tags":"a,b"}""", "'tags' must be an array or null, not a string")]
    // Element nullability is not in the exported schema, so a list's strings may be null.
    [InlineData("""{"tags":["a",2]}""", "'tags[1]' must be a string or null, not the number 2")]
    [InlineData("""{"address":[]}""", "'address' must be an object or null, not an array")]
    [InlineData("""{"address":{"street":"Main","number":"one"}}""", "'address.number' must be an integer, not a string")]
    [InlineData("""{"address":{"street":"Main","number":1,"floor":3}}""", "'address.floor' is not a property of 'address' (properties: street, number)")]
    public void Validate_WrongType_NamesThePathAndBothTypes(string overrides, string expected)
    {
        var problems = Validate(BookSchema, Merge("""{"city":"Oslo","nights":2,"budget":1,"breakfast":true,"cabin":"Economy"}""", overrides));

        Assert.Equal([expected], problems);
    }

    [Fact]
    public void Validate_ValueOutsideTheEnum_ListsTheChoices()
    {
        var problems = Validate(BookSchema, """{"city":"Oslo","nights":2,"budget":1,"breakfast":true,"cabin":"economy","upgrade":"First"}""");

        Assert.Equal(
            ["'cabin' must be one of \"Economy\", \"Business\", not \"economy\"", "'upgrade' must be one of \"Economy\", \"Business\", null, not \"First\""],
            problems);
    }

    [Fact]
    public void Validate_ArgumentsNotAnObject_SaysSo()
    {
        Assert.Equal(["the arguments must be an object, not an array"], Validate(BookSchema, "[]"));
    }

    [Fact]
    public void Validate_DictionaryParameter_ChecksEachValueAgainstAdditionalProperties()
    {
        var schema = Parse("""{"type":"object","properties":{"scores":{"type":"object","additionalProperties":{"type":"integer"}}}}""");

        Assert.Empty(Validate(schema, """{"scores":{"ann":1,"bob":2}}"""));
        Assert.Equal(["'scores.bob' must be an integer, not a string"], Validate(schema, """{"scores":{"ann":1,"bob":"two"}}"""));
    }

    [Fact]
    public void Validate_AdditionalPropertiesFalseWithoutProperties_RefusesAnyProperty()
    {
        var schema = Parse("""{"type":"object","additionalProperties":false}""");

        Assert.Equal(["'x' is not a parameter (parameters: none)"], Validate(schema, """{"x":1}"""));
    }

    [Fact]
    public void Validate_UnknownKeywordsAndFormats_AreNotRefused()
    {
        // format is an annotation: the binder decides what a date is.
        var schema = Parse("""{"type":"object","properties":{"when":{"type":"string","format":"date-time","x-unit":"days"},"any":{}}}""");

        Assert.Empty(Validate(schema, """{"when":"2025-01-01","any":[1,{"a":null}]}"""));
    }

    [Fact]
    public void Validate_SchemaTheLibraryCannotRead_IsNotChecked()
    {
        var schema = Parse("""{"type":"object","properties":{"when":{"type":"date-time"}}}""");

        Assert.Empty(Validate(schema, """{"when":1}"""));
    }

    [Theory]
    [InlineData("""{"rooms":0}""", "'rooms': 0 should be at least 1")]
    [InlineData("""{"rooms":11}""", "'rooms': 11 should be at most 10")]
    [InlineData("""{"code":"A"}""", "'code': Value should be at least 2 characters")]
    [InlineData("""{"code":"abcdefg"}""", "'code': Value should be at most 5 characters")]
    [InlineData("""{"slug":"Not a slug"}""", "'slug' must match the pattern ^[a-z-]+$, not \"Not a slug\"")]
    [InlineData("""{"names":[]}""", "'names': Value should have at least 1 items")]
    public void Validate_AttributeLimits_NamesTheArgumentAndTheLimit(string overrides, string expected)
    {
        var schema = AgentTool.Create(Reserve, "reserve").Function.JsonSchema;

        var problems = Validate(schema, Merge("""{"rooms":2,"code":"ab","slug":"a-b","names":["x"]}""", overrides));

        Assert.Equal([expected], problems);
    }

    [Fact]
    public void Validate_RecursiveType_FollowsTheSchemasReferences()
    {
        // The exporter writes a recursive type's inner occurrences as a $ref to the first.
        var schema = AgentTool.Create(Walk, "walk").Function.JsonSchema;
        Assert.Contains("$ref", schema.GetRawText(), StringComparison.Ordinal);

        var problems = Validate(schema, """{"path":{"name":"a","next":{"name":"b","next":{"name":3,"next":null,"x":1}}}}""");

        Assert.Equal(["'path.next.next.name' must be a string, not the number 3", "'path.next.next.x' is not a property of 'path.next.next' (properties: name, next)"], problems);
    }

    [Fact]
    public void Validate_AlternativesTheNamesDoNotFollow_KeepTheLibrarysMessages()
    {
        var schema = Parse("""{"type":"object","properties":{"shape":{"anyOf":[{"type":"object","properties":{"r":{"type":"number"}},"required":["r"]},{"type":"object","properties":{"w":{"type":"number"}},"required":["w"]}]}}}""");

        var problems = Validate(schema, """{"shape":{"r":"x"}}""");

        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("'shape", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ManyProblems_AreCappedWithACount()
    {
        var arguments = "{" + string.Join(",", Enumerable.Range(0, 30).Select(i => $"\"p{i}\":{i}")) + "}";

        var problems = Validate(Parse("""{"type":"object","properties":{}}"""), arguments);

        Assert.Equal(21, problems.Count);
        Assert.Equal("and 10 more problems", problems[^1]);
    }

    [Description("Books a stay.")]
    private static string Book(
        [Description("The city.")] string city,
        [Description("How many nights.")] int nights,
        [Description("The budget per night.")] double budget,
        [Description("Whether breakfast is included.")] bool breakfast,
        [Description("The cabin.")] Cabin cabin,
        [Description("An optional upgrade.")] Cabin? upgrade = null,
        [Description("How many guests.")] int? guests = null,
        [Description("Free-form tags.")] IReadOnlyList<string>? tags = null,
        [Description("Where to send the invoice.")] Address? address = null) => city;

    [Description("Reserves rooms.")]
    private static string Reserve(
        [Description("How many rooms."), Range(1, 10)] int rooms,
        [Description("A booking code."), StringLength(5, MinimumLength = 2)] string code,
        [Description("A short name."), RegularExpression("^[a-z-]+$")] string slug,
        [Description("The guests' names."), MinLength(1)] string[] names) => code;

    [Description("Walks a path.")]
    private static string Walk([Description("The path.")] Hop path) => path.Name;

    private static IReadOnlyList<string> Validate(JsonElement schema, string arguments) =>
        ToolArgumentValidator.Validate(schema, Parse(arguments));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string Merge(string baseJson, string overrides)
    {
        var merged = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(baseJson)!;
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(overrides)!)
        {
            merged[name] = value;
        }

        return JsonSerializer.Serialize(merged);
    }

    public sealed record Address(string Street, int Number);

    public sealed record Hop(string Name, Hop? Next);
}
