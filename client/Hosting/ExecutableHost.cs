using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AgentGrains.Client.Hosting;

/// <summary>What the silo and gateway executables share before and around their host: usage for <c>--help</c>, and settings refused in one line.</summary>
/// <remarks>
/// A host refuses bad settings when it starts, by throwing from deep inside its composition; the
/// user would see the reason under a page of stack trace. <see cref="TryBuild"/> composes the host
/// and runs the same validation before it starts, and prints only the reason, the way a
/// command-line tool does.
/// </remarks>
public static class ExecutableHost
{
    /// <summary>The exit code when settings are refused (2, as command-line tools use for usage errors).</summary>
    public const int BadSettingsExitCode = 2;

    private const string SettingsFile = "appsettings.json";

    private static readonly string[] HelpSwitches = ["--help", "-h", "-?", "/?", "help"];

    /// <summary>The keys every executable shares, for its usage text.</summary>
    public const string SharedSettings = """
          --Cluster:Provider=<name>        how silos find each other: Localhost (default), Redis or AdoNet
          --ConnectionStrings:Redis=<cs>   Redis membership (Cluster:Provider=Redis)
          --ConnectionStrings:AgentGrains=<cs>
                                           PostgreSQL (Storage:Provider=PostgreSQL, Cluster:Provider=AdoNet)
          --Orleans:ClusterId=<id>         the cluster's id, the same on every silo and gateway (default agentgrains)
          --Gateway:MaxReplyWait=<time>    how long POST .../messages waits for a reply (default 00:00:30)
          OTEL_EXPORTER_OTLP_ENDPOINT=<url>  (an environment variable) traces and metrics over OTLP; /metrics always

        Settings also come from appsettings.json (next to the binary, then in the working directory)
        and from environment variables, with __ for : (Cluster__Provider=Redis). Every setting is
        listed in README.md under Configuration.
        """;

    /// <summary>Creates the executable's builder; it listens on loopback at <paramref name="defaultPort"/> unless its settings say where to listen.</summary>
    /// <remarks>
    /// Loopback by default, so a laptop run exposes nothing; <c>--urls</c>, <c>ASPNETCORE_HTTP_PORTS</c>
    /// (as containers set it) or Kestrel endpoints choose otherwise. Set here rather than as
    /// <c>Urls</c> in appsettings.json, which would outrank <c>ASPNETCORE_URLS</c> and silently override it.
    /// </remarks>
    public static WebApplicationBuilder CreateBuilder(string[] args, int defaultPort)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddWorkingDirectorySettings(builder.Configuration, Directory.GetCurrentDirectory());
        if (string.IsNullOrEmpty(builder.Configuration["urls"])
            && string.IsNullOrEmpty(builder.Configuration["http_ports"])
            && string.IsNullOrEmpty(builder.Configuration["https_ports"])
            && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{defaultPort}");
        }

        return builder;
    }

    /// <summary>Reads an <c>appsettings.json</c> in the working directory too, over the one shipped next to the binary and under the environment and the command line.</summary>
    /// <remarks>
    /// So a folder holds a deployment's settings beside its data (<c>Storage:Path</c> and a stdio MCP
    /// server's relative paths are relative to the working directory too), without editing the shipped file.
    /// </remarks>
    internal static void AddWorkingDirectorySettings(IConfigurationBuilder configuration, string workingDirectory)
    {
        var shipped = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, SettingsFile));
        var local = Path.GetFullPath(Path.Combine(workingDirectory, SettingsFile));
        if (string.Equals(shipped, local, StringComparison.Ordinal))
        {
            return;
        }

        var sources = configuration.Sources;
        var after = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            after = sources[i] is JsonConfigurationSource ? i : after;
        }

        var source = new JsonConfigurationSource { Path = local, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(after + 1, source);
    }

    /// <summary>Prints <paramref name="usage"/> to standard output when the first argument asks for help.</summary>
    /// <returns>Whether usage was printed (the executable then exits with 0).</returns>
    public static bool TryPrintUsage(string[] args, string usage)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || !HelpSwitches.Contains(args[0], StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        Console.Out.WriteLine(usage.TrimEnd());
        return true;
    }

    /// <summary>Composes and builds the host, then validates its settings as its start would; a refusal is printed as one line on standard error.</summary>
    /// <param name="name">The executable's name, which starts the line.</param>
    /// <param name="build">Composes the host from its settings and builds it.</param>
    /// <returns>The host, or null when its settings were refused (the executable then exits with <see cref="BadSettingsExitCode"/>).</returns>
    public static TApplication? TryBuild<TApplication>(string name, Func<TApplication> build)
        where TApplication : class, IHost
    {
        ArgumentNullException.ThrowIfNull(build);
        try
        {
            var app = build();
            app.Services.GetService<IStartupValidator>()?.Validate();
            return app;
        }
        catch (Exception ex) when (Refusal(ex) is { } reason)
        {
            Console.Error.WriteLine($"{name}: {reason}");
            return null;
        }
    }

    /// <summary>The reason a setting was refused, or null when <paramref name="exception"/> is not a refused setting.</summary>
    internal static string? Refusal(Exception exception) => exception switch
    {
        OptionsValidationException e => string.Join(" ", e.Failures),
        SettingRefusedException e => e.Message,
        AggregateException { InnerExceptions: [var only] } => Refusal(only),
        AggregateException e when e.InnerExceptions.Select(Refusal).ToList() is var reasons && reasons.All(static r => r is not null) => string.Join(" ", reasons),
        // The configuration binder: a value that does not convert to its setting's type.
        InvalidOperationException { InnerException: FormatException format } e => $"{e.Message.Split(" to type ", 2)[0]}: {format.Message}",
        _ => null,
    };
}
