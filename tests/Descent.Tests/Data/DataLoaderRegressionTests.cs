using Descent.Data;
using Descent.Optim;

namespace Descent.Tests.Data;

/// <summary>Batch, stochastic and mini-batch gradient descent all reach the least-squares solution of a linear regression.</summary>
public class DataLoaderRegressionTests
{
    private const int N = 64, Features = 3;

    private static (Tensor X, Tensor Y) Data()
    {
        var gen = new Generator(7);
        var x = Tensor.Randn([N, Features], DType.Float64, gen);
        var w = Tensor.FromArray(new[] { 1.5, -2.0, 0.5 }).View(Features, 1);
        var y = x.MatMul(w) + 0.3 + 0.1 * Tensor.Randn([N, 1], DType.Float64, gen);
        return (x, y);
    }

    /// <summary>θ = (AᵀA)⁻¹Aᵀy for A = [X 1], by Gaussian elimination on the normal equations.</summary>
    private static double[] LeastSquares(Tensor x, Tensor y)
    {
        int p = Features + 1;
        double[] xs = x.ToArray<double>(), ys = y.ToArray<double>();
        var m = new double[p, p + 1];
        for (int n = 0; n < N; n++)
        {
            double Row(int j) => j < Features ? xs[n * Features + j] : 1.0;
            for (int i = 0; i < p; i++)
            {
                for (int j = 0; j < p; j++) m[i, j] += Row(i) * Row(j);
                m[i, p] += Row(i) * ys[n];
            }
        }
        for (int c = 0; c < p; c++)
            for (int r = 0; r < p; r++)
                if (r != c)
                {
                    double f = m[r, c] / m[c, c];
                    for (int k = c; k <= p; k++) m[r, k] -= f * m[c, k];
                }
        return Enumerable.Range(0, p).Select(i => m[i, p] / m[i, i]).ToArray();
    }

    [Theory]
    [InlineData(N, 0.1, 300, 1e-9)]   // batch: the exact gradient, converges to the solution
    [InlineData(1, 0.02, 200, 2e-4)]  // stochastic: noisy, the decaying rate damps the noise
    [InlineData(8, 0.05, 200, 2e-4)]  // mini-batch
    public void EveryBatchSizeReachesTheLeastSquaresSolution(int batchSize, double lr, int epochs, double tolerance)
    {
        var (x, y) = Data();
        double[] expected = LeastSquares(x, y);
        var w = Tensor.Zeros([Features, 1], DType.Float64, requiresGrad: true);
        var b = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
        var optimizer = new SGD([w, b], lr: lr);
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: batchSize, shuffle: true, generator: new Generator(1));
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var (input, target) in loader)
            {
                optimizer.ZeroGrad();
                var loss = (input.MatMul(w) + b - target).Square().Mean();
                loss.Backward();
                optimizer.Step();
            }
            if (batchSize < N) optimizer.ParamGroups[0].Lr *= 0.97;
        }
        double[] actual = [.. w.ToArray<double>(), b.Item<double>()];
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"θ[{i}]: least squares {expected[i]}, batch size {batchSize} reached {actual[i]}");
    }
}
