// The gradient-descent walk-through: minimise f(x) = x² from x₀ = 2 with learning rate 0.1 for 100 iterations.
// Each iteration moves x against the gradient, x ← x − α f′(x); here f′(x) = 2x, so x shrinks by 0.8 every step and
// slides to the minimum at 0. The same run is written twice: by hand with the derivative, then the way a model is
// trained, with a Tensor, Backward() and the SGD optimizer. Both print the same numbers, equal to the last digit
// to PyTorch's (torch.optim.SGD on the same problem).
using System.Globalization;
using Descent;
using Descent.Optim;

const double start = 2.0, learningRate = 0.1;
const int iterations = 100;

static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

// 1. By hand: the function, its derivative, and the update rule.
static double F(double x) => x * x;
static double Df(double x) => 2 * x;

Console.WriteLine("Gradient descent by hand: f(x) = x², f'(x) = 2x, x0 = 2, learning rate 0.1");
double x = start;
for (int i = 1; i <= iterations; i++)
{
    double gradient = Df(x);
    // x − α·f′(x), rounded once as PyTorch's kernel does (a fused multiply-add), so the digits match its run exactly;
    // `x -= learningRate * gradient` rounds twice and can differ in the last digit.
    x = Math.FusedMultiplyAdd(-learningRate, gradient, x);
    Console.WriteLine($"Iteration {i}: x = {R(x)}, f(x) = {R(F(x))}");
}
Console.WriteLine($"Optimal x: {R(x)}, f(x) = {R(F(x))}");

// 2. With autograd and an optimizer: Backward() computes f'(x) into x.Grad, SGD applies x ← x − lr·x.Grad.
Console.WriteLine();
Console.WriteLine("The same with a Tensor, Backward() and SGD");
var xt = Tensor.FromArray(new[] { start }, requiresGrad: true);
var optimizer = new SGD([xt], lr: learningRate);
for (int i = 1; i <= iterations; i++)
{
    optimizer.ZeroGrad();
    var loss = (xt * xt).Sum();
    loss.Backward();
    optimizer.Step();
    double value = xt.Item<double>();
    Console.WriteLine($"Iteration {i}: x = {R(value)}, f(x) = {R(F(value))}");
}
Console.WriteLine($"Optimal x: {R(xt.Item<double>())}, f(x) = {R(F(xt.Item<double>()))}");
