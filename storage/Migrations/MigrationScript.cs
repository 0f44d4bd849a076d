using System.Globalization;
using System.Reflection;

namespace AgentGrains.Storage.Migrations;

/// <summary>One forward-only schema migration embedded in the storage assembly.</summary>
/// <remarks>
/// Files are named <c>NNNN_description.sql</c> under <c>Migrations/&lt;provider&gt;/</c>; a shipped
/// file is never edited, only followed by a new one. Scripts 1–3 (PostgreSQL) and 1–4 (SQLite)
/// were written before the project ran on Orleans; their numbering continues so databases written
/// then keep their sessions.
/// </remarks>
internal sealed record MigrationScript(int Version, string Name, string Sql)
{
    /// <summary>The scripts of one provider folder (<c>sqlite</c>, <c>postgres</c>) in version order.</summary>
    public static IReadOnlyList<MigrationScript> Load(string provider)
    {
        var assembly = typeof(MigrationScript).Assembly;
        var prefix = $"AgentGrains.Storage.Migrations.{provider}.";
        var scripts = new List<MigrationScript>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[prefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration '{name}' is not named NNNN_description.sql.");
            }

            scripts.Add(new MigrationScript(version, name, Read(assembly, resource)));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations for {provider} must be numbered 1, 2, 3...; found {scripts[i].Name} at position {i + 1}.");
            }
        }

        return scripts;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded migration {resource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
