namespace AgentGrains.Runtime;

/// <summary>Marker for grain interfaces whose grains are addressed by a string key.</summary>
public interface IGrainWithStringKey : IGrain;
