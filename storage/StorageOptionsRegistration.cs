using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AgentGrains.Storage;

/// <summary>Binds <see cref="StorageOptions"/> once for every storage registration of a host (journal, Orleans providers).</summary>
internal static class StorageOptionsRegistration
{
    /// <summary>Binds the <c>Storage</c> section and <c>ConnectionStrings:AgentGrains</c>, validated at start; a second call adds nothing.</summary>
    public static void AddStorageOptions(IServiceCollection services)
    {
        if (services.Any(static d => d.ServiceType == typeof(IValidateOptions<StorageOptions>) && d.ImplementationType == typeof(StorageOptionsValidator)))
        {
            return;
        }

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .Configure<IConfiguration>(static (options, configuration) =>
            {
                // Connection strings live under ConnectionStrings, where hosting tools (and environment
                // variables such as ConnectionStrings__AgentGrains) put them.
                var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
    }
}
