using System.Globalization;

namespace Descent;

/// <summary>The outcome of a <see cref="GradCheck"/> run.</summary>
/// <param name="Passed">True when every gradient element agreed within the tolerance.</param>
/// <param name="MaxAbsError">The largest |autograd − finite difference| over all checked elements.</param>
/// <param name="Message">"ok", or the first disagreement: which input, which element, both values.</param>
public sealed record GradCheckResult(bool Passed, double MaxAbsError, string Message);

/// <summary>
/// Checks autograd against central finite differences in float64, as <c>torch.autograd.gradcheck</c>. For a function
/// f of several tensors and a random upstream vector v of f's output shape, the gradient of Σ f(x)⊙v with respect to
/// every input that requires gradients is compared, element by element, with (s(x + eps·eₖ) − s(x − eps·eₖ)) / 2eps.
/// The random v makes the check cover every output element, so non-scalar outputs need no special handling.
/// </summary>
public static class GradCheck
{
    /// <summary>
    /// Runs the check and reports the result without throwing. Inputs that require gradients must be float64; other
    /// inputs (int64 class indices, constants) are passed through unchanged. The function must not modify its inputs.
    /// An element passes when |autograd − numeric| ≤ <paramref name="atol"/> + <paramref name="rtol"/>·|numeric|.
    /// </summary>
    public static GradCheckResult Run(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be > 0, got {eps}");
        if (!(atol >= 0)) throw new ArgumentOutOfRangeException(nameof(atol), atol, $"atol must be >= 0, got {atol}");
        if (!(rtol >= 0)) throw new ArgumentOutOfRangeException(nameof(rtol), rtol, $"rtol must be >= 0, got {rtol}");
        var leaves = new Tensor[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var x = inputs[i] ?? throw new ArgumentNullException(nameof(inputs), $"input {i} is null");
            if (x.RequiresGrad && x.DType != DType.Float64)
                throw new ArgumentException($"gradcheck needs float64 inputs for finite differences; input {i} is {x.DType.Name()}", nameof(inputs));
            leaves[i] = x.RequiresGrad ? x.Detach().Clone().Detach().RequiresGrad_() : x;
        }

        var output = function(leaves);
        if (output.DType != DType.Float64)
            throw new ArgumentException($"gradcheck needs a float64 output, got {output.DType.Name()}", nameof(function));
        var v = Tensor.Randn(output.Shape, DType.Float64, new Generator(seed));
        if (output.RequiresGrad) output.Backward(v);
        var upstream = v.ToArray<double>();
        // Read every analytic gradient before evaluating the function again (it may touch Grad itself).
        var analyticGradients = leaves.Select((t, i) => inputs[i].RequiresGrad ? t.Grad?.ToArray<double>() ?? new double[t.NumEl] : null).ToArray();

        double maxError = 0;
        string? failure = null;
        for (int i = 0; i < leaves.Length; i++)
        {
            if (!inputs[i].RequiresGrad) continue;
            var analytic = analyticGradients[i]!;
            var values = leaves[i].AsSpan<double>();
            for (int k = 0; k < values.Length; k++)
            {
                double numeric = Numeric(function, leaves, i, k, eps, upstream);
                double error = Math.Abs(analytic[k] - numeric);
                if (double.IsNaN(error)) error = double.PositiveInfinity;
                maxError = Math.Max(maxError, error);
                if (failure is null && !(error <= atol + rtol * Math.Abs(numeric)))
                    failure = string.Create(CultureInfo.InvariantCulture,
                        $"gradient of input {i} (shape {Shapes.Format(inputs[i].ShapeArray)}) at element {k} {IndexOf(k, inputs[i].ShapeArray)}: autograd {analytic[k]:R}, finite differences {numeric:R} (error {error:E3})");
            }
        }
        return new GradCheckResult(failure is null, maxError, failure ?? "ok");
    }

    /// <summary>
    /// Runs the check and returns the largest absolute error, throwing <see cref="InvalidOperationException"/> that
    /// names the input and element of the first disagreement.
    /// </summary>
    public static double Check(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, long seed = 0)
    {
        var result = Run(function, inputs, eps, atol, rtol, seed);
        if (!result.Passed) throw new InvalidOperationException("gradcheck failed: " + result.Message);
        return result.MaxAbsError;
    }

    /// <summary>(s(x + eps·eₖ) − s(x − eps·eₖ)) / 2eps for s = Σ f ⊙ v, perturbing element k of input i in place.</summary>
    private static double Numeric(Func<Tensor[], Tensor> function, Tensor[] leaves, int i, int k, double eps, double[] upstream)
    {
        var values = leaves[i].AsSpan<double>();
        double original = values[k];
        try
        {
            using var scope = Autograd.NoGrad();
            values[k] = original + eps;
            double plus = Dot(function(leaves), upstream);
            leaves[i].AsSpan<double>()[k] = original - eps;
            double minus = Dot(function(leaves), upstream);
            return (plus - minus) / (2 * eps);
        }
        finally
        {
            leaves[i].AsSpan<double>()[k] = original;
        }
    }

    private static double Dot(Tensor y, double[] v)
    {
        var values = y.ToArray<double>();
        double sum = 0;
        for (int j = 0; j < values.Length; j++) sum += values[j] * v[j];
        return sum;
    }

    private static string IndexOf(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % Math.Max(shape[d], 1);
            flat /= Math.Max(shape[d], 1);
        }
        return Shapes.Format(index);
    }
}
