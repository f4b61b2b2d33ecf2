using ScottPlot;

namespace Descent.Plotting;

/// <summary>
/// Viridis mixed with white: keeps viridis' monotone lightness (so the order of values reads in grey too) but is
/// pale enough for trajectories, arrows and markers to stand out on it. The colour bar uses the same map.
/// </summary>
internal sealed class LightViridis : IColormap
{
    private const double White = 0.45;
    private readonly ScottPlot.Colormaps.Viridis viridis = new();

    public string Name => "Light viridis";

    public Color GetColor(double position)
    {
        Color c = viridis.GetColor(position);
        return new Color(Mix(c.R), Mix(c.G), Mix(c.B));
    }

    private static byte Mix(byte channel) => (byte)Math.Round(channel * (1 - White) + 255 * White);
}
