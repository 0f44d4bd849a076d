namespace AgentGrains.Grains.Models;

/// <summary>What one model costs, in US dollars per million tokens (an entry of <c>Model:Prices</c>).</summary>
public sealed class ModelPrice
{
    /// <summary>US dollars per million input (prompt) tokens.</summary>
    public decimal InputPerMillionTokens { get; set; }

    /// <summary>US dollars per million output (completion) tokens.</summary>
    public decimal OutputPerMillionTokens { get; set; }
}
