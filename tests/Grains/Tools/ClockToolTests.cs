using AgentGrains.Grains.Tools;
using Microsoft.Extensions.Time.Testing;

namespace AgentGrains.Tests.Grains.Tools;

[Trait("Category", "Unit")]
[Trait("Provider", "None")]
public sealed class ClockToolTests
{
    [Fact]
    public void Now_AnyOffset_ReturnsUtcIso8601FromTheTimeProvider()
    {
        var clock = new ClockTool(new FakeTimeProvider(new DateTimeOffset(2030, 4, 5, 8, 9, 10, TimeSpan.FromHours(2))));

        Assert.Equal("2030-04-05T06:09:10Z", clock.Now());
    }
}
