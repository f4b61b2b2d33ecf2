using Descent.Data;
using Descent.Optim;

namespace Descent.Cli.Lab;

/// <summary>The min, median and max over shuffling seeds of one batch mode's excess loss, per epoch (index 0 is the start).</summary>
internal sealed record LossBand(string Name, double[] Min, double[] Median, double[] Max);

internal static partial class Walkthrough
{
    /// <summary>Batch size and learning rate of each mode of <see cref="BatchModes"/>, in the order they are drawn.</summary>
    private static readonly (string Name, int Batch, double Lr)[] Modes =
        [("batch (N = 512)", RegressionSamples, 0.1), ("stochastic (1)", 1, 0.01), ("mini-batch (32)", 32, 0.05)];

    private const int RegressionSamples = 512;
    private const int RegressionFeatures = 4;

    /// <summary>The regression the batch modes fit: y = x·(2, −1, 0.5, 3) + 1.5 + 0.3·ε, x and ε standard normal, drawn from <paramref name="dataSeed"/>.</summary>
    private static (Tensor X, Tensor Y) RegressionData(long dataSeed)
    {
        var g = new Generator(dataSeed);
        var x = Tensor.Randn([RegressionSamples, RegressionFeatures], DType.Float64, g);
        var trueW = Tensor.FromArray(new[] { 2.0, -1.0, 0.5, 3.0 }, [RegressionFeatures, 1]);
        var y = x.MatMul(trueW) + 1.5 + 0.3 * Tensor.Randn([RegressionSamples, 1], DType.Float64, g);
        return (x, y);
    }

    /// <summary>
    /// Full-data mean squared error per epoch (index 0 is the start, w = 0 and b = 0) of the linear regression of
    /// <paramref name="dataSeed"/> fitted with SGD at batch size N (batch gradient descent), 1 (stochastic) and 32
    /// (mini-batch). Only the order in which the samples are visited depends on <paramref name="shuffleSeed"/>.
    /// </summary>
    public static IReadOnlyList<(string Name, double[] Losses)> BatchModes(int epochs, long shuffleSeed, long dataSeed = 7)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var (x, y) = RegressionData(dataSeed);
        var data = new TensorDataset(x, y);
        var curves = new List<(string, double[])>();
        foreach (var (name, batch, lr) in Modes)
        {
            var w = Tensor.Zeros([RegressionFeatures, 1], DType.Float64, requiresGrad: true);
            var b = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
            var sgd = new SGD([w, b], lr: lr);
            var loader = new DataLoader(data, batch, shuffle: true, generator: new Generator(shuffleSeed));
            double FullLoss() { using (Autograd.NoGrad()) return (x.MatMul(w) + b - y).Square().Mean().Item<double>(); }
            var losses = new List<double> { FullLoss() };
            for (int e = 0; e < epochs; e++)
            {
                foreach (var (xb, yb) in loader)
                {
                    sgd.ZeroGrad();
                    (xb.MatMul(w) + b - yb).Square().Mean().Backward();
                    sgd.Step();
                }
                losses.Add(FullLoss());
            }
            curves.Add((name, [.. losses]));
        }
        return curves;
    }

    /// <summary>
    /// Each batch mode of <see cref="BatchModes"/> run with the shuffling seeds 1 … <paramref name="seeds"/> on the same
    /// data: per epoch the min, median and max over the seeds of the excess loss, full-data loss − <see cref="RegressionMinimum"/>.
    /// </summary>
    public static IReadOnlyList<LossBand> BatchModeBands(int epochs, int seeds, long dataSeed = 7)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seeds, 1);
        double minimum = RegressionMinimum(dataSeed);
        var runs = Enumerable.Range(1, seeds).Select(s => BatchModes(epochs, s, dataSeed)).ToList();
        return Modes.Select((mode, m) =>
        {
            double[][] perEpoch = [.. Enumerable.Range(0, epochs + 1).Select(e => runs.Select(r => r[m].Losses[e] - minimum).Order().ToArray())];
            return new LossBand(mode.Name, [.. perEpoch.Select(v => v[0])], [.. perEpoch.Select(Median)], [.. perEpoch.Select(v => v[^1])]);
        }).ToList();
    }

    /// <summary>
    /// The smallest mean squared error any w, b reach on the data of <paramref name="dataSeed"/>: the least-squares fit,
    /// from the normal equations [x 1]ᵀ[x 1]·β = [x 1]ᵀy solved in double.
    /// </summary>
    public static double RegressionMinimum(long dataSeed = 7)
    {
        var (xt, yt) = RegressionData(dataSeed);
        double[] x = xt.ToArray<double>(), y = yt.ToArray<double>();
        const int p = RegressionFeatures + 1; // the features, then the intercept's column of ones
        double Design(int i, int j) => j < RegressionFeatures ? x[i * RegressionFeatures + j] : 1;
        var normal = new double[p, p];
        var rhs = new double[p];
        for (int i = 0; i < RegressionSamples; i++)
            for (int j = 0; j < p; j++)
            {
                rhs[j] += Design(i, j) * y[i];
                for (int k = 0; k < p; k++) normal[j, k] += Design(i, j) * Design(i, k);
            }
        double[] beta = SolveSymmetricPositive(normal, rhs);
        double sum = 0;
        for (int i = 0; i < RegressionSamples; i++)
        {
            double r = -y[i];
            for (int j = 0; j < p; j++) r += Design(i, j) * beta[j];
            sum += r * r;
        }
        return sum / RegressionSamples;
    }

    /// <summary>Solves A·z = b for a small symmetric positive definite A by Cholesky, A = L·Lᵀ.</summary>
    private static double[] SolveSymmetricPositive(double[,] a, double[] b)
    {
        int n = b.Length;
        var l = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i, j];
                for (int k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                l[i, j] = i == j ? Math.Sqrt(s) : s / l[j, j];
            }
        var z = new double[n];
        for (int i = 0; i < n; i++) // L·u = b
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i, k] * z[k];
            z[i] = s / l[i, i];
        }
        for (int i = n - 1; i >= 0; i--) // Lᵀ·z = u
        {
            double s = z[i];
            for (int k = i + 1; k < n; k++) s -= l[k, i] * z[k];
            z[i] = s / l[i, i];
        }
        return z;
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
