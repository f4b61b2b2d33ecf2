namespace Descent.NN;

/// <summary>
/// Batch normalisation over the channels (dim 1) of its input, as PyTorch's <c>_BatchNorm</c>, the base of
/// <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/>: y = (x − mean)/√(var + eps)·weight + bias per channel.
/// In training mode mean and var are the batch's (the biased variance, over the batch and spatial dims), and the running
/// statistics follow: running_mean ← (1 − momentum)·running_mean + momentum·mean, running_var likewise with the unbiased
/// variance; a null momentum makes them the cumulative average of every batch since the last reset (factor
/// 1/num_batches_tracked). In evaluation mode the running statistics normalise, unless running statistics are not tracked:
/// then the batch's statistics always do. The state dict holds weight, bias, running_mean, running_var and
/// num_batches_tracked (int64), named as PyTorch's.
/// </summary>
public abstract class BatchNorm : Module
{
    private double? _momentum;

    /// <summary>Creates the layer: weight ones and bias zeros (when <paramref name="affine"/>), running_mean zeros, running_var ones.</summary>
    protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures < 1) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, $"numFeatures must be >= 1, got {numFeatures}");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, $"eps must be > 0, got {eps}");
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"dtype must be floating-point, got {dtype.Name()}", nameof(dtype));
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
            RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            RegisterBuffer("num_batches_tracked", Tensor.FromArray(new long[1], []));
        }
    }

    /// <summary>The number of channels C the input must have in dimension 1.</summary>
    public int NumFeatures { get; }

    /// <summary>The value added to the variance before its square root.</summary>
    public double Eps { get; }

    /// <summary>The weight of the newest batch in the running statistics, in [0, 1]; null for the cumulative average.</summary>
    public double? Momentum
    {
        get => _momentum;
        set
        {
            if (value is { } m && !(m >= 0 && m <= 1)) throw new ArgumentOutOfRangeException(nameof(value), m, $"momentum must be in [0, 1] or null, got {m}");
            _momentum = value;
        }
    }

    /// <summary>Whether the layer has a learnable per-channel weight and bias.</summary>
    public bool Affine { get; }

    /// <summary>Whether the layer keeps running statistics (and uses them in evaluation mode).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>The per-channel scale, [C], or null without <see cref="Affine"/>.</summary>
    public Tensor? Weight => Affine ? GetParameter("weight") : null;

    /// <summary>The per-channel shift, [C], or null without <see cref="Affine"/>.</summary>
    public Tensor? Bias => Affine ? GetParameter("bias") : null;

    /// <summary>The running mean, [C], or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningMean => TrackRunningStats ? GetBuffer("running_mean") : null;

    /// <summary>The running (unbiased) variance, [C], or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningVar => TrackRunningStats ? GetBuffer("running_var") : null;

    /// <summary>The number of training batches seen since the last reset, an int64 scalar, or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? NumBatchesTracked => TrackRunningStats ? GetBuffer("num_batches_tracked") : null;

    /// <summary>Resets running_mean to zeros, running_var to ones and num_batches_tracked to 0 (nothing without running statistics).</summary>
    public void ResetRunningStats()
    {
        if (!TrackRunningStats) return;
        using (Autograd.NoGrad())
        {
            RunningMean!.Zero_();
            RunningVar!.Fill_(1);
        }
        NumBatchesTracked!.AsSpan<long>()[0] = 0;
    }

    /// <summary>Throws unless the input has a rank this layer accepts.</summary>
    protected abstract void CheckRank(Tensor input);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(input);
        if (input.ShapeArray[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}) expects {NumFeatures} channels in dimension 1, got shape {Shapes.Format(input.ShapeArray)}", nameof(input));
        bool updateRunning = IsTraining && TrackRunningStats;
        if (updateRunning && input.NumEl / NumFeatures <= 1)
            throw new ArgumentException($"Expected more than 1 value per channel when training, got input size {Shapes.Format(input.ShapeArray)}", nameof(input));
        // The batch is counted only once F.BatchNorm has accepted the input (and updated the running statistics).
        long seen = updateRunning ? NumBatchesTracked!.AsSpan<long>()[0] + 1 : 0;
        double factor = Momentum ?? (updateRunning ? 1.0 / seen : 0.0);
        bool batchStats = IsTraining || !TrackRunningStats;
        var output = Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, batchStats, factor, Eps);
        if (updateRunning) NumBatchesTracked!.AsSpan<long>()[0] = seen;
        return output;
    }
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] inputs over the batch (and length), per channel; see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer, with PyTorch's defaults.</summary>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
        DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
    {
    }

    /// <inheritdoc />
    protected override void CheckRank(Tensor input)
    {
        if (input.Rank is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d expects a 2-D [N, C] or 3-D [N, C, L] input, got shape {Shapes.Format(input.ShapeArray)}", nameof(input));
    }
}

/// <summary>Batch normalisation of [N, C, H, W] inputs over the batch and the plane, per channel; see <see cref="BatchNorm"/>.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer, with PyTorch's defaults.</summary>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
        DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
    {
    }

    /// <inheritdoc />
    protected override void CheckRank(Tensor input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"BatchNorm2d expects a 4-D [N, C, H, W] input, got shape {Shapes.Format(input.ShapeArray)}", nameof(input));
    }
}
