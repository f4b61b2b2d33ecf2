// Batch, stochastic and mini-batch gradient descent on the same linear regression, y = X·w + b + noise.
// One API for the three: the DataLoader's batch size. N (the whole dataset) is batch gradient descent — one exact
// gradient step per epoch; 1 is stochastic gradient descent — N cheap, noisy steps per epoch; k in between is
// mini-batch gradient descent — N/k steps whose gradients average k samples. The table shows the mean squared error
// over the whole dataset after each epoch, next to the best possible value (the least-squares fit).
using System.Globalization;
using Descent;
using Descent.Data;
using Descent.Optim;

const int n = 200, features = 3, epochs = 15;
var gen = new Generator(2024);
var x = Tensor.Randn([n, features], DType.Float64, gen);
var trueW = Tensor.FromArray(new[] { 2.0, -3.0, 0.5 }).View(features, 1);
var y = x.MatMul(trueW) + 1.0 + 0.5 * Tensor.Randn([n, 1], DType.Float64, gen);
var data = new TensorDataset(x, y);

(string Name, int BatchSize, double Lr)[] modes =
[
    ("batch (N = 200)", n, 0.1),
    ("stochastic (1)", 1, 0.01),
    ("mini-batch (16)", 16, 0.05),
];

var losses = new double[modes.Length][];
var finals = new string[modes.Length];
for (int m = 0; m < modes.Length; m++)
{
    var (name, batchSize, lr) = modes[m];
    var w = Tensor.Zeros([features, 1], DType.Float64, requiresGrad: true);
    var b = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
    var optimizer = new SGD([w, b], lr: lr);
    var loader = new DataLoader(data, batchSize: batchSize, shuffle: true, generator: new Generator(1));
    losses[m] = new double[epochs + 1];
    losses[m][0] = FullLoss(w, b);
    for (int epoch = 1; epoch <= epochs; epoch++)
    {
        foreach (var (input, target) in loader)
        {
            optimizer.ZeroGrad();
            var loss = (input.MatMul(w) + b - target).Square().Mean();
            loss.Backward();
            optimizer.Step();
        }
        losses[m][epoch] = FullLoss(w, b);
    }
    finals[m] = $"{name}: steps per epoch {loader.Count}, lr {lr.ToString(CultureInfo.InvariantCulture)}, w = ({F(w.ToArray<double>())}), b = {F(b.ToArray<double>())}";
}

Console.WriteLine("Linear regression, 200 samples, 3 features: mean squared error over the dataset after each epoch");
Console.WriteLine();
Console.WriteLine($"{"epoch",5}  {string.Join("  ", modes.Select(mode => $"{mode.Name,16}"))}");
for (int epoch = 0; epoch <= epochs; epoch++)
    Console.WriteLine($"{epoch,5}  {string.Join("  ", losses.Select(l => $"{F(l[epoch]),16}"))}");
Console.WriteLine();
foreach (var line in finals) Console.WriteLine(line);
var (lsW, lsB, lsLoss) = LeastSquares();
Console.WriteLine($"least squares (closed form): w = ({F(lsW)}), b = {F(lsB)}, mean squared error {F(lsLoss)}");
Console.WriteLine("""

    Per epoch, stochastic descent gets furthest (200 updates) but keeps jittering around the best fit, because each step
    follows one sample's gradient; batch descent moves smoothly but slowly (one update per epoch); mini-batches take
    13 updates an epoch with averaged, steadier gradients and settle closest to the least-squares error.
    """);

double FullLoss(Tensor w, Tensor b)
{
    using (Autograd.NoGrad()) return (x.MatMul(w) + b - y).Square().Mean().Item();
}

// The exact minimiser of the mean squared error: solve the normal equations (AᵀA)θ = Aᵀy for A = [X 1].
(double[] W, double B, double Loss) LeastSquares()
{
    int p = features + 1;
    double[] xs = x.ToArray<double>(), ys = y.ToArray<double>();
    var a = new double[p, p + 1];
    for (int i = 0; i < n; i++)
        for (int r = 0; r < p; r++)
        {
            double xr = r < features ? xs[i * features + r] : 1;
            for (int c = 0; c < p; c++) a[r, c] += xr * (c < features ? xs[i * features + c] : 1);
            a[r, p] += xr * ys[i];
        }
    for (int c = 0; c < p; c++)
        for (int r = 0; r < p; r++)
            if (r != c)
            {
                double factor = a[r, c] / a[c, c];
                for (int k = c; k <= p; k++) a[r, k] -= factor * a[c, k];
            }
    var theta = Enumerable.Range(0, p).Select(i => a[i, p] / a[i, i]).ToArray();
    var w = Tensor.FromArray(theta[..features]).View(features, 1);
    var b = Tensor.FromArray(new[] { theta[features] });
    return (theta[..features], theta[features], FullLoss(w, b));
}

static string F(params double[] values) => string.Join(", ", values.Select(v => v.ToString("F6", CultureInfo.InvariantCulture)));
