namespace AgentGrains.Tests.Infrastructure;

/// <summary>Waits for a condition with a bounded timeout instead of sleeping.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string expectation)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {expectation}.");
            }

            await Task.Delay(20);
        }
    }
}
