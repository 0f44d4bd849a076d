using AgentGrains.Runtime.Storage;

namespace AgentGrains.Tests.Runtime.Storage;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class StorageOptionsValidatorTests
{
    private static readonly StorageOptionsValidator Validator = new();

    [Fact]
    public void Validate_PostgreSqlWithConnectionStringAndDefaultSchema_Succeeds()
    {
        var result = Validator.Validate(null, new StorageOptions
        {
            Provider = StorageProvider.PostgreSQL,
            ConnectionString = "Host=db;Database=agentgrains;Username=agentgrains;Password=secret",
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_PostgreSqlWithoutConnectionStringAndBadSchema_ReportsBothWithTheFix()
    {
        var result = Validator.Validate(null, new StorageOptions { Provider = StorageProvider.PostgreSQL, Schema = "Agent-Grains" });

        var failures = result.Failures!.ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.Contains("ConnectionStrings:AgentGrains is empty; set it to", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Storage:Schema 'Agent-Grains'", StringComparison.Ordinal) && f.Contains("lower-case letters", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ConnectionStringWithUnknownKeywordAndNoHost_NamesTheKeywordButNeverAValue()
    {
        var result = Validator.Validate(null, new StorageOptions
        {
            Provider = StorageProvider.PostgreSQL,
            ConnectionString = "Database=agentgrains;Pasword=hunter2-secret;Username=u",
        });

        Assert.False(result.Succeeded);
        Assert.Contains("'Pasword'", result.FailureMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("add Host=", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SqliteIgnoresPostgreSqlSettings()
    {
        var result = Validator.Validate(null, new StorageOptions { Provider = StorageProvider.Sqlite, Schema = "not valid" });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("agentgrains", true)]
    [InlineData("_tenant_1", true)]
    [InlineData("", false)]
    [InlineData("1tenant", false)]
    [InlineData("pg_catalog", false)]
    [InlineData("Tenant", false)]
    [InlineData("a\"; DROP SCHEMA public; --", false)]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234", false)]
    public void IsSafeSchemaName_AcceptsOnlyNamesThatNeedNoQuoting(string schema, bool safe) =>
        Assert.Equal(safe, StorageOptionsValidator.IsSafeSchemaName(schema));
}
