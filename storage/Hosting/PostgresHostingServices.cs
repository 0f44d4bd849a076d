using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentGrains.Storage.Hosting;

/// <summary>The services every PostgreSQL-backed silo or client needs once: options and the shared data source.</summary>
internal static class PostgresHostingServices
{
    public static void Add(IServiceCollection services)
    {
        // The silo extensions may be called together (storage and clustering): bind the options once.
        if (services.Any(d => d.ServiceType == typeof(OrleansPostgres)))
        {
            return;
        }

        StorageOptionsRegistration.AddStorageOptions(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, PostgresProviderRequired>());
        services.AddSingleton<OrleansPostgres>();
    }

    /// <summary>Refuses a host that puts Orleans' data on PostgreSQL while its configuration names another provider.</summary>
    /// <remarks>
    /// <see cref="StorageOptionsValidator"/> checks the connection string and schema only for PostgreSQL,
    /// so without this a host left on the default provider would fail later, less clearly.
    /// </remarks>
    private sealed class PostgresProviderRequired : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions options) =>
            options.Provider == StorageProvider.PostgreSQL
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"Storage:Provider is '{options.Provider}', but this host keeps Orleans' membership, reminders or grain state in PostgreSQL; " +
                    $"set Storage:Provider to PostgreSQL and ConnectionStrings:{StorageOptions.ConnectionStringName} to the server's connection string.");
    }
}
