using AgentGrains.Client.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;
using Orleans.Hosting;

namespace AgentGrains.Client.Dashboard;

/// <summary>
/// The Orleans Dashboard in an AgentGrains executable: added to a silo or to a standalone gateway's
/// Orleans client, and served at <see cref="RoutePrefix"/>, unless <c>Dashboard:Enabled</c> is false.
/// </summary>
/// <remarks>
/// The dashboard has no authentication of its own: whoever reaches the HTTP port sees the cluster,
/// its grains and (at <c>/dashboard/Trace</c>, unless <c>Dashboard:HideTrace</c> is true) the host's
/// live log. The other keys of the <c>Dashboard</c> section bind to Orleans' <see cref="DashboardOptions"/>.
/// A standalone gateway's dashboard reads the cluster through the silos' dashboard grains, so it
/// needs silos that run the dashboard; set <c>Dashboard:Enabled</c> alike on every silo of a cluster.
/// </remarks>
public static class DashboardHostingExtensions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Dashboard";

    /// <summary>Where the dashboard is served: its page, its scripts and its JSON endpoints (<c>/dashboard/DashboardCounters</c>, ...).</summary>
    public const string RoutePrefix = "/dashboard";

    private const string EnabledKey = SectionName + ":Enabled";

    /// <summary>
    /// Adds the dashboard's silo part: its grains, the silo's statistics service and the grain call
    /// filter that times calls while someone watches the dashboard. Nothing when <c>Dashboard:Enabled</c> is false.
    /// Calling it twice adds it once.
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configuration">The host's configuration.</param>
    /// <returns>The same builder.</returns>
    public static ISiloBuilder AddAgentGrainsDashboard(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        if (IsEnabled(configuration) && !IsAdded(builder.Services))
        {
            builder.AddDashboard(options => configuration.GetSection(SectionName).Bind(options));
            builder.Services.AddSingleton<DashboardAdded>();
        }

        return builder;
    }

    /// <summary>
    /// Adds the dashboard to an Orleans client, which then serves the views of the cluster's silos.
    /// Nothing when <c>Dashboard:Enabled</c> is false. Calling it twice adds it once.
    /// </summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="configuration">The host's configuration.</param>
    /// <returns>The same builder.</returns>
    public static IClientBuilder AddAgentGrainsDashboard(this IClientBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        if (IsEnabled(configuration) && !IsAdded(builder.Services))
        {
            builder.AddDashboard(options => configuration.GetSection(SectionName).Bind(options));
            builder.Services.AddSingleton<DashboardAdded>();
        }

        return builder;
    }

    /// <summary>
    /// Serves the dashboard at <see cref="RoutePrefix"/> if <see cref="AddAgentGrainsDashboard(ISiloBuilder, IConfiguration)"/>
    /// or its client overload added it; otherwise nothing (the route is then unknown: 404).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    /// <remarks>
    /// Whether the dashboard was added decides, not the configuration read again: one decision, made
    /// while the host was composed. Map it after the gateway, so an unknown route under it gets the
    /// gateway's problem details.
    /// </remarks>
    public static WebApplication MapAgentGrainsDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<DashboardAdded>() is not null)
        {
            // The whole cluster's grains and its live log: operators only.
            app.MapOrleansDashboard(RoutePrefix).RequireAuthorization(Gateway.Identity.GatewayIdentity.AdminPolicy);
        }

        return app;
    }

    /// <summary>Whether <c>Dashboard:Enabled</c> is true or unset (the default).</summary>
    /// <exception cref="InvalidOperationException">The value is neither true nor false.</exception>
    private static bool IsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[EnabledKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        return bool.TryParse(value.Trim(), out var enabled)
            ? enabled
            : throw new SettingRefusedException($"{EnabledKey} is '{value}'; set it to true or false.");
    }

    private static bool IsAdded(IServiceCollection services) => services.Any(static d => d.ServiceType == typeof(DashboardAdded));

    /// <summary>Marks a host whose silo or client has the dashboard, so the endpoints are mapped only then.</summary>
    private sealed class DashboardAdded;
}
