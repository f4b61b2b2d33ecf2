using System.Numerics;
using Descent.Optim;

namespace Descent.Tests.Optim;

/// <summary>
/// The chains whose scaling is ScaleBySign (signSGD, and Signum with a Trace before the sign; Bernstein et al., 2018,
/// "signSGD: Compressed Optimisation for Non-Convex Problems") against the rule restated here element by element, and
/// the fused driver's vector form of the chains' own rules (sign, and the clip folded into any rule) against their
/// scalar form.
/// </summary>
[Collection(nameof(AllocationTests))]
public class SignChainTests
{
    /// <summary>(μ, τ, nesterov, λ, decoupled, maximize) of the configurations restated.</summary>
    public static TheoryData<double, double, bool, double, bool, bool> Configurations() => new()
    {
        { 0, 0, false, 0, false, false },       // signSGD
        { 0, 0, false, 0.1, false, true },      // signSGD, L2 penalty, ascending
        { 0.9, 0.9, false, 0, false, false },   // Signum: b ← 0.9b + 0.1g
        { 0.9, 0, true, 0.05, true, false },    // Nesterov sign momentum, decoupled decay
        { 0.5, 0.2, false, 0.02, false, true },
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void SignChainIsTheRuleRestated(double momentum, double dampening, bool nesterov, double weightDecay, bool decoupled, bool maximize)
    {
        const double lr = 0.01;
        var chain = Transforms.Chain([
            .. weightDecay != 0 && !decoupled ? [Transforms.AddDecayedWeights(weightDecay)] : Array.Empty<Transform>(),
            .. momentum != 0 ? [Transforms.Trace(momentum, dampening, nesterov)] : Array.Empty<Transform>(),
            Transforms.ScaleBySign(),
            .. weightDecay != 0 && decoupled ? [Transforms.AddDecayedWeights(weightDecay)] : Array.Empty<Transform>(),
            Transforms.ScaleByLearningRate(lr, maximize),
        ]);
        Restated<float>(chain, lr, momentum, dampening, nesterov, weightDecay, decoupled, maximize);
        Restated<double>(chain, lr, momentum, dampening, nesterov, weightDecay, decoupled, maximize);
    }

    /// <summary>
    /// θ ← θ(1 − γλ) (decoupled) or g ← g + λθ (L2); b ← g at the first step, then b ← μb + (1 − τ)g; u ← b, or g + μb
    /// (Nesterov); θ ← θ − γ·sign(u). SGD's momentum is two fused multiply-adds, as PyTorch's add with alpha.
    /// </summary>
    private static void Restated<T>(TransformChain chain, double lr, double mu, double tau, bool nesterov, double lambda, bool decoupled, bool maximize)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        var ps = OptimizerTable.Parameters(dtype, [37], [5, 3]);
        var theta = ps.Select(p => p.ToArray<T>()).ToArray();
        var b = ps.Select(p => new T[p.NumEl]).ToArray();
        var optimizer = chain.Create(ps);
        T C(double x) => T.CreateTruncating(x);
        for (int t = 0; t < 12; t++)
        {
            for (int i = 0; i < ps.Length; i++)
            {
                ps[i].Grad = OptimizerTable.Gradient(ps[i], t, i);
                var grad = ps[i].Grad!.ToArray<T>();
                for (int k = 0; k < grad.Length; k++)
                {
                    T g = maximize ? -grad[k] : grad[k];
                    if (lambda != 0 && decoupled) theta[i][k] *= C(1 - lr * lambda);
                    else if (lambda != 0) g += theta[i][k] * C(lambda);
                    T u = g;
                    if (mu != 0)
                    {
                        b[i][k] = t == 0 ? g : T.FusedMultiplyAdd(g, C(1 - tau), b[i][k] * C(mu));
                        u = nesterov ? T.FusedMultiplyAdd(b[i][k], C(mu), g) : b[i][k];
                    }
                    T sign = u > T.Zero ? T.One : u < T.Zero ? T.NegativeOne : T.Zero;
                    theta[i][k] -= C(lr) * sign;
                }
            }
            optimizer.Step();
            for (int i = 0; i < ps.Length; i++)
            {
                Assert.Equal(theta[i], ps[i].ToArray<T>());
                if (mu != 0) Assert.Equal(b[i], optimizer.StateOf(ps[i])!.Tensors["momentum_buffer"].ToArray<T>());
            }
        }
    }

    [Fact]
    public void EveryCoordinateMovesByTheLearningRate()
    {
        var p = OptimizerTable.Parameters(DType.Float64, [200])[0];
        var optimizer = Transforms.Chain(Transforms.Trace(0.9, dampening: 0.9), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(0.125)).Create([p]);
        for (int t = 0; t < 5; t++)
        {
            var before = p.ToDoubleArray();
            p.Grad = OptimizerTable.Gradient(p, t, 0);
            optimizer.Step();
            var after = p.ToDoubleArray();
            for (int k = 0; k < before.Length; k++) Assert.Equal(0.125, Math.Abs(after[k] - before[k]), 12);
        }
    }

    [Fact]
    public void SignumReachesTheMinimumOfAQuadraticToWithinItsStep()
    {
        // f(θ) = ½ Σ cₖ θₖ², badly scaled (cₖ from 1 to 1000): the sign ignores the scale, so every coordinate gets there.
        var theta = Tensor.FromArray(new[] { 3.0, -2.0, 1.5, -4.0 }, requiresGrad: true);
        var c = Tensor.FromArray(new[] { 1.0, 10.0, 100.0, 1000.0 });
        var optimizer = Transforms.Chain(Transforms.Trace(0.9), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(0.01)).Create([theta]);
        for (int t = 0; t < 2000; t++)
        {
            optimizer.ZeroGrad();
            (0.5 * (c * theta * theta).Sum()).Backward();
            optimizer.Step();
        }
        foreach (double x in theta.ToDoubleArray()) Assert.True(Math.Abs(x) < 0.2, $"θ = {x}");
    }

    public static TheoryData<string> VectorCases() => ["sign", "sign nesterov decoupled", "clipped adamw", "clipped sgd momentum", "clipped rmsprop", "clipped lion", "clipped sign"];

    private static TransformChain VectorCase(string name) => name switch
    {
        "sign" => Transforms.Chain(Transforms.AddDecayedWeights(0.01), Transforms.Trace(0.9, dampening: 0.1), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(0.01)),
        "sign nesterov decoupled" => Transforms.Chain(Transforms.Trace(0.9, nesterov: true), Transforms.ScaleBySign(), Transforms.AddDecayedWeights(0.1),
            Transforms.ScaleByLearningRate(0.01, maximize: true)),
        "clipped adamw" => Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.AdamW(amsgrad: true)),
        "clipped sgd momentum" => Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.SGD(0.1, momentum: 0.9, weightDecay: 0.01, maximize: true)),
        "clipped rmsprop" => Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.RMSprop(centered: true, momentum: 0.5)),
        "clipped lion" => Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.Lion(weightDecay: 0.1)),
        "clipped sign" => Transforms.Chain(Transforms.ClipByGlobalNorm(0.5), Transforms.ScaleBySign(), Transforms.ScaleByLearningRate(0.01)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Around the vector widths (4, 8, 16), plus one length past the parallel threshold with a ragged last chunk.
    private static readonly int[] Lengths = [.. Enumerable.Range(1, 40), 1000, (1 << 17) + 37];

    [Theory]
    [MemberData(nameof(VectorCases))]
    public void VectorFormMatchesScalarForm(string name)
    {
        var chain = VectorCase(name);
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (int n in Lengths)
            {
                var p = OptimizerTable.Parameters(dtype, [n]);
                var q = OptimizerTable.Parameters(dtype, [n]);
                var vector = chain.Create(p);
                var scalar = chain.Create(q);
                for (int t = 0; t < 4; t++)
                {
                    p[0].Grad = OptimizerTable.Gradient(p[0], t, 0);
                    q[0].Grad = OptimizerTable.Gradient(q[0], t, 0);
                    vector.Step();
                    using (Descent.Kernels.UpdateKernels.ScalarOnly()) scalar.Step();
                }
                TransformChainTests.AssertSameState(scalar, vector, q, p, $"{name} {dtype.Name()} n={n}");
            }
        }
    }
}
