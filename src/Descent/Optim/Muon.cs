using System.Numerics;
using System.Runtime.CompilerServices;
using Descent.Kernels;

namespace Descent.Optim;

/// <summary>How <see cref="Muon"/> scales the learning rate by the shape A×B of a matrix (PyTorch's <c>adjust_lr_fn</c>).</summary>
public enum MuonLrAdjustment
{
    /// <summary>Not given: as <see cref="Original"/> (PyTorch's <c>None</c>).</summary>
    None,

    /// <summary>Keller Jordan's √max(1, A/B) (<c>"original"</c>).</summary>
    Original,

    /// <summary>Moonshot's 0.2·√max(A, B), which gives the update AdamW's RMS so that AdamW's lr and weight decay carry over (<c>"match_rms_adamw"</c>).</summary>
    MatchRmsAdamw,
}

/// <summary>The hyperparameters of <see cref="Muon"/> (PyTorch's defaults).</summary>
public sealed record MuonOptions : OptimizerOptions
{
    /// <summary>Creates Muon options with the learning rate <paramref name="lr"/>.</summary>
    public MuonOptions(double lr = 1e-3) => Lr = lr;

    /// <summary>The decoupled weight decay λ: θ ← θ(1 − γλ) before the update.</summary>
    [Hyperparameter("weight_decay", Range = HyperparameterRange.NonNegative)]
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>The momentum μ of the running average of gradients, which schedules cycle.</summary>
    [Hyperparameter("momentum", Range = HyperparameterRange.ClosedUnitInterval, Cycled = true)]
    public double Momentum { get; init; } = 0.95;

    /// <summary>Orthogonalise the Nesterov look-ahead lerp(g, B, μ) instead of the buffer B.</summary>
    [Hyperparameter("nesterov")]
    public bool Nesterov { get; init; } = true;

    /// <summary>The coefficients (a, b, c) of the Newton–Schulz polynomial X ← aX + (bXXᵀ + c(XXᵀ)²)X.</summary>
    [Hyperparameter("ns_coefficients", Range = HyperparameterRange.Finite, ElementNames = ["ns-a", "ns-b", "ns-c"])]
    public (double, double, double) NsCoefficients { get; init; } = (3.4445, -4.775, 2.0315);

    /// <summary>The floor ε of the norm that the update is divided by before the iteration.</summary>
    [Hyperparameter("eps", Range = HyperparameterRange.NonNegative)]
    public double Eps { get; init; } = 1e-7;

    /// <summary>The number of Newton–Schulz iterations, 0 to 99.</summary>
    [Hyperparameter("ns_steps")]
    public int NsSteps { get; init; } = 5;

    /// <summary>How the learning rate is scaled by the matrix's shape (PyTorch's <c>adjust_lr_fn</c>; none is the original).</summary>
    [Hyperparameter("adjust_lr_fn")]
    public MuonLrAdjustment AdjustLrFn { get; init; }

    /// <inheritdoc/>
    protected override void ValidateTogether()
    {
        if (NsSteps is < 0 or >= 100) throw new ArgumentOutOfRangeException("nsSteps", NsSteps, $"nsSteps must be in [0, 100), got {NsSteps}");
    }

    /// <summary>The learning rate for an A×B matrix: γ·√max(1, A/B), or γ·0.2·√max(A, B) for <see cref="MuonLrAdjustment.MatchRmsAdamw"/>.</summary>
    internal double AdjustedLr(int rows, int cols) => AdjustLrFn == MuonLrAdjustment.MatchRmsAdamw
        ? Lr * (0.2 * Math.Sqrt(Math.Max(rows, cols)))
        : Lr * Math.Sqrt(Math.Max(1, (double)rows / cols));
}

/// <summary>
/// Muon: momentum orthogonalised by Newton–Schulz, for the weight matrices of hidden layers, as <c>torch.optim.Muon</c>
/// (PyTorch ≥ 2.9; Keller Jordan, 2024; Moonshot AI, 2025). Matrices only: give biases, norms, embeddings and the
/// output layer to <see cref="AdamW"/>, or let <see cref="MuonWithAdamW"/> split a model's parameters.
/// </summary>
/// <remarks>
/// <para>Update rule for an A×B matrix, with learning rate γ, weight decay λ, momentum μ, coefficients (a, b, c), k
/// iterations and ε:</para>
/// <code>
/// g ← ∇f(θ)
/// B ← lerp(B, g, 1 − μ)                  (B ← μB + (1 − μ)g)
/// U ← lerp(g, B, μ)                      (nesterov; else U ← B)
/// X ← U / max(‖U‖_F, ε)                  (Uᵀ first when A &gt; B)
/// k times:  G ← XXᵀ;  X ← aX + (bG + cG²)X
/// θ ← θ(1 − γλ)
/// θ ← θ − γ·√max(1, A/B) · X             (0.2·√max(A, B) with match_rms_adamw)
/// </code>
/// <para>The iteration runs in the parameter's dtype (PyTorch runs it in bfloat16) with the library's matrix multiply.
/// On a 1×n row matrix — how the lab and <c>minimize</c> give it a test function's point — XXᵀ is a number and the
/// step is the momentum's direction at a fixed length: normalised momentum descent.</para>
/// <para><b>Principle:</b> replace the momentum matrix by the nearest semi-orthogonal matrix (its singular values
/// pushed towards 1), so every direction of the layer's input and output space moves at the same rate instead of the
/// few dominant ones; the quintic Newton–Schulz iteration approximates it with five matrix products.</para>
/// <para><b>Strengths:</b> fewer steps than AdamW to the same loss on transformers and CNNs; one buffer of memory (less
/// than Adam's two); the update's scale is set by the shape, not by the gradient's size, so it is robust to gradient
/// scale; with match_rms_adamw, AdamW's learning rate and weight decay carry over.</para>
/// <para><b>Weaknesses:</b> matrices only, so a model needs a second optimizer for the rest; each step costs a few
/// matrix products per parameter (small beside the forward pass of a large batch, not beside an elementwise rule);
/// the orthogonalisation discards the gradient's magnitude, so it does not settle into a minimum without a decaying
/// learning rate.</para>
/// <para><b>Suits:</b> the hidden weight matrices of transformers, MLPs and (flattened) convolutions, trained with large
/// batches; the rest of the model with AdamW.</para>
/// </remarks>
public sealed class Muon : Optimizer<MuonOptions>
{
    private readonly NewtonSchulz _newtonSchulz = new();

    /// <summary>Creates Muon over <paramref name="parameters"/> (matrices) with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The matrices to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="weightDecay">Decoupled weight decay λ.</param>
    /// <param name="momentum">Momentum μ.</param>
    /// <param name="nesterov">Orthogonalise the Nesterov look-ahead.</param>
    /// <param name="nsCoefficients">Newton–Schulz coefficients (a, b, c); default (3.4445, −4.775, 2.0315).</param>
    /// <param name="eps">Floor ε of the norm.</param>
    /// <param name="nsSteps">Newton–Schulz iterations.</param>
    /// <param name="adjustLrFn">How the learning rate is scaled by the shape.</param>
    /// <exception cref="ArgumentException">A parameter is not a matrix.</exception>
    public Muon(IEnumerable<Tensor> parameters, double lr = 1e-3, double weightDecay = 0.1, double momentum = 0.95, bool nesterov = true,
        (double, double, double)? nsCoefficients = null, double eps = 1e-7, int nsSteps = 5, MuonLrAdjustment adjustLrFn = MuonLrAdjustment.None)
        : base(parameters, new MuonOptions(lr)
        {
            WeightDecay = weightDecay, Momentum = momentum, Nesterov = nesterov, NsCoefficients = nsCoefficients ?? (3.4445, -4.775, 2.0315),
            Eps = eps, NsSteps = nsSteps, AdjustLrFn = adjustLrFn,
        })
    {
    }

    /// <summary>Creates Muon over parameter groups (matrices) with the given defaults (each group may change them).</summary>
    /// <exception cref="ArgumentException">A parameter is not a matrix.</exception>
    public Muon(IEnumerable<ParamGroupSpec<MuonOptions>> groups, MuonOptions defaults) : base(groups, defaults)
    {
    }

    private protected override void CheckParameter(Tensor parameter, int index, OptimizerOptions options, string argument) =>
        MuonStep.RequireMatrix(parameter, index, argument);

    /// <inheritdoc/>
    protected override void Update(Tensor parameter, Tensor grad, ParamState state, MuonOptions options) =>
        MuonStep.Run(parameter, grad, state, options, _newtonSchulz);
}

/// <summary>Muon's step on one matrix, shared by <see cref="Muon"/> and <see cref="MuonWithAdamW"/>.</summary>
internal static class MuonStep
{
    public static void RequireMatrix(Tensor parameter, int index, string argument)
    {
        if (parameter.Rank != 2)
            throw new ArgumentException($"Muon updates matrices only, but parameter {index} has shape {Shapes.Format(parameter.ShapeArray)}; "
                + "give vectors (biases, norms) and other shapes to AdamW, or use MuonWithAdamW, which splits them", argument);
    }

    public static void Run(Tensor parameter, Tensor grad, ParamState state, MuonOptions o, NewtonSchulz newtonSchulz)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(o);
        var buffer = state.Buffer("momentum_buffer", parameter);
        state.Step++; // PyTorch keeps no step for Muon; counted here as for every optimizer
        if (parameter.DType == DType.Float32) Run<float>(parameter, grad, buffer, o, newtonSchulz);
        else Run<double>(parameter, grad, buffer, o, newtonSchulz);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<T>(Tensor parameter, Tensor grad, Tensor momentumBuffer, MuonOptions o, NewtonSchulz newtonSchulz)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = parameter.Size(0), cols = parameter.Size(1);
        var theta = parameter.AsSpan<T>();
        var g = grad.AsSpan<T>();
        var b = momentumBuffer.AsSpan<T>();
        // The iteration works on the wide orientation (rows ≤ columns), so XXᵀ is the smaller Gram matrix.
        bool transposed = rows > cols;
        var x = newtonSchulz.Matrix<T>(Math.Min(rows, cols), Math.Max(rows, cols));
        T oneMinusMomentum = T.CreateTruncating(1 - o.Momentum), momentum = T.CreateTruncating(o.Momentum);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                int k = i * cols + j;
                b[k] = TorchLerp.Of(b[k], g[k], oneMinusMomentum);
                x[transposed ? j * rows + i : k] = o.Nesterov ? TorchLerp.Of(g[k], b[k], momentum) : b[k];
            }
        }
        newtonSchulz.Orthogonalize<T>(o.NsCoefficients, o.NsSteps, T.CreateTruncating(o.Eps));
        T decay = T.CreateTruncating(1 - o.Lr * o.WeightDecay), step = T.CreateTruncating(-o.AdjustedLr(rows, cols));
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                int k = i * cols + j;
                theta[k] = theta[k] * decay + step * x[transposed ? j * rows + i : k];
            }
        }
    }
}

/// <summary>
/// The quintic Newton–Schulz iteration of PyTorch's <c>_zeropower_via_newtonschulz</c> on an r×c matrix X (r ≤ c), in
/// scratch arrays that grow to the largest matrix seen and are then reused, so that a step allocates nothing.
/// </summary>
internal sealed class NewtonSchulz
{
    private Array? _scratch;
    private int _rows, _cols;

    /// <summary>The r×c matrix X to fill before <see cref="Orthogonalize{T}"/>, which leaves the result in it.</summary>
    public Span<T> Matrix<T>(int rows, int cols) where T : unmanaged
    {
        (_rows, _cols) = (rows, cols);
        int needed = 2 * rows * cols + 3 * rows * rows; // X, the product GX, and G, cG and cG·G
        if (_scratch is not T[] scratch || scratch.Length < needed) _scratch = scratch = new T[needed];
        return scratch.AsSpan(0, rows * cols);
    }

    /// <summary>
    /// X ← X / max(‖X‖_F, ε), then <paramref name="steps"/> times G ← XXᵀ, X ← aX + (bG + (cG)G)X, with PyTorch's
    /// grouping (<c>b * G + c * G @ G</c> multiplies c·G by G) and the library's matrix multiply.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Orthogonalize<T>((double A, double B, double C) coefficients, int steps, T eps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r = _rows, c = _cols;
        var all = ((T[])_scratch!).AsSpan();
        var x = all[..(r * c)];
        var product = all.Slice(r * c, r * c);
        var gram = all.Slice(2 * r * c, r * r);
        var scaledGram = all.Slice(2 * r * c + r * r, r * r);
        var gramSquared = all.Slice(2 * r * c + 2 * r * r, r * r);
        T sum = T.Zero;
        foreach (var v in x) sum += v * v;
        T norm = T.Max(T.Sqrt(sum), eps);
        for (int i = 0; i < x.Length; i++) x[i] /= norm;
        T a = T.CreateTruncating(coefficients.A), b = T.CreateTruncating(coefficients.B), cc = T.CreateTruncating(coefficients.C);
        for (int s = 0; s < steps; s++)
        {
            Gemm.Multiply<T>(false, true, r, r, c, x, c, x, c, gram, r); // G = XXᵀ
            for (int i = 0; i < gram.Length; i++) scaledGram[i] = cc * gram[i];
            Gemm.Multiply<T>(r, r, r, scaledGram, gram, gramSquared);
            for (int i = 0; i < gram.Length; i++) gram[i] = b * gram[i] + gramSquared[i];
            Gemm.Multiply<T>(r, c, r, gram, x, product);
            for (int i = 0; i < x.Length; i++) x[i] = a * x[i] + product[i];
        }
    }
}
