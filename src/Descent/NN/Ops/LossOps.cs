namespace Descent.NN;

/// <summary>Loss functions with PyTorch's semantics (reductions, class weights, ignore_index, label smoothing).</summary>
internal static class LossOps
{
    public static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.None => loss,
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"unknown reduction {reduction}"),
    };

    private static Tensor Difference(Tensor input, Tensor target, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        input.CheckFloat(op);
        input.CheckSameDType(target, op);
        Shapes.Broadcast(input.ShapeArray, target.ShapeArray, op);
        return input - target;
    }

    public static Tensor Mse(Tensor input, Tensor target, Reduction reduction) =>
        Reduce(Difference(input, target, "mse_loss").Square(), reduction);

    public static Tensor L1(Tensor input, Tensor target, Reduction reduction) =>
        Reduce(Difference(input, target, "l1_loss").Abs(), reduction);

    /// <summary>½d² where |d| &lt; delta, else delta·(|d| − ½delta); its derivative is d clamped to [−delta, delta].</summary>
    public static Tensor Huber(Tensor input, Tensor target, Reduction reduction, double delta)
    {
        if (!(delta > 0)) throw new ArgumentOutOfRangeException(nameof(delta), delta, $"huber_loss: delta must be > 0, got {delta}");
        var d = Difference(input, target, "huber_loss");
        var values = d.Detach().MapScalar(Value, Value, "huber_loss");
        var loss = Autograd.Record(values, "HuberLossBackward", [d], g => [g * d.Detach().Clamp(-delta, delta)]);
        return Reduce(loss, reduction);

        double Value(double v)
        {
            double z = Math.Abs(v);
            return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
        }
    }

    /// <summary>The class dimension (1, or 0 for an unbatched [C] input) and the number of classes.</summary>
    private static (int ClassDim, int Classes) ClassDim(Tensor input, string op)
    {
        if (input.Rank == 0) throw new ArgumentException($"{op}: input must have at least one dimension (classes), got a scalar", nameof(input));
        int d = input.Rank == 1 ? 0 : 1;
        return (d, input.ShapeArray[d]);
    }

    private static void CheckWeight(Tensor input, Tensor? weight, int classes, string op)
    {
        if (weight is null) return;
        input.CheckSameDType(weight, op);
        if (weight.Rank != 1 || weight.ShapeArray[0] != classes)
            throw new ArgumentException($"{op}: weight must have shape [{classes}] for input of shape {Shapes.Format(input.ShapeArray)}, got {Shapes.Format(weight.ShapeArray)}", nameof(weight));
    }

    /// <summary>The target's shape must be the input's without the class dimension.</summary>
    private static void CheckIndexTarget(Tensor input, Tensor target, int classDim, string op)
    {
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: target must hold int64 class indices, got {target.DType.Name()} (shape {Shapes.Format(target.ShapeArray)})", nameof(target));
        var expected = input.ShapeArray.Where((_, i) => i != classDim).ToArray();
        if (!Shapes.SameShape(target.ShapeArray, expected))
            throw new ArgumentException($"{op}: target of shape {Shapes.Format(target.ShapeArray)} does not match input of shape {Shapes.Format(input.ShapeArray)} (expected target shape {Shapes.Format(expected)})", nameof(target));
    }

    /// <summary>
    /// Negative log-likelihood: −weight[t]·input[t] per sample, 0 where t == ignoreIndex; the mean divides by the sum of
    /// the weights of the samples not ignored (PyTorch's weighted mean).
    /// </summary>
    public static Tensor Nll(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        input.CheckFloat("nll_loss");
        var (classDim, classes) = ClassDim(input, "nll_loss");
        CheckIndexTarget(input, target, classDim, "nll_loss");
        CheckWeight(input, weight, classes, "nll_loss");

        // Rows of class scores [M, C]: the class dimension moved last.
        var rows = MoveClassLast(input, classDim).Reshape(-1, classes);
        var t = target.Contiguous().AsSpan<long>();
        var w = weight?.Contiguous().ToDoubleArray();
        var safeIndex = new long[t.Length];
        var rowWeight = new double[t.Length];
        double totalWeight = 0;
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] == ignoreIndex) continue;
            if (t[i] < 0 || t[i] >= classes)
                throw new ArgumentOutOfRangeException(nameof(target), t[i], $"nll_loss: target {t[i]} is out of bounds for {classes} classes");
            safeIndex[i] = t[i];
            rowWeight[i] = w is null ? 1 : w[t[i]];
            totalWeight += rowWeight[i];
        }
        var picked = rows.Gather(1, Tensor.FromArray(safeIndex, [t.Length, 1])).Reshape(-1);
        var loss = -(picked * Tensor.FromDoubles(rowWeight, [t.Length], input.DType));
        return reduction switch
        {
            Reduction.None => loss.Reshape(target.Shape),
            Reduction.Sum => loss.Sum(),
            Reduction.Mean => loss.Sum() / totalWeight,
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"unknown reduction {reduction}"),
        };
    }

    private static Tensor MoveClassLast(Tensor input, int classDim)
    {
        if (input.Rank <= 2) return input;
        var order = Enumerable.Range(0, input.Rank).Where(i => i != classDim).Append(classDim).ToArray();
        return input.Permute(order);
    }

    /// <summary>
    /// Cross entropy of logits against class indices (int64, input's shape without the class dim) or class probabilities
    /// (float, the input's shape), as <c>torch.nn.functional.cross_entropy</c>.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double labelSmoothing)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        input.CheckFloat("cross_entropy");
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"label_smoothing must be in [0, 1], got {labelSmoothing}");
        var (classDim, classes) = ClassDim(input, "cross_entropy");
        CheckWeight(input, weight, classes, "cross_entropy");
        var logp = input.LogSoftmax(classDim);
        var classShape = Enumerable.Range(0, input.Rank).Select(i => i == classDim ? classes : 1).ToArray();
        var w = weight?.Detach().Reshape(classShape);

        if (target.DType.IsFloatingPoint())
        {
            if (!Shapes.SameShape(target.ShapeArray, input.ShapeArray))
                throw new ArgumentException($"cross_entropy: probability target of shape {Shapes.Format(target.ShapeArray)} must match input of shape {Shapes.Format(input.ShapeArray)}", nameof(target));
            input.CheckSameDType(target, "cross_entropy");
            var p = labelSmoothing > 0 ? target * (1 - labelSmoothing) + labelSmoothing / classes : target;
            var terms = w is null ? logp * p : logp * p * w;
            return reduction switch
            {
                Reduction.None => -terms.Sum(classDim),
                Reduction.Sum => -terms.Sum(),
                Reduction.Mean => -terms.Sum() / ((double)input.NumEl / classes),
                _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"unknown reduction {reduction}"),
            };
        }

        CheckIndexTarget(input, target, classDim, "cross_entropy");
        var nll = Nll(logp, target, weight, ignoreIndex, reduction);
        if (labelSmoothing == 0) return nll;

        // Label smoothing: (1 − ε)·nll + ε/C · Σ_c −w_c·log p_c, ignored samples contributing 0.
        var smooth = -(w is null ? logp : logp * w).Sum(classDim);
        var ignored = target.Eq(Tensor.Scalar(ignoreIndex, DType.Int64)).To(input.DType);
        smooth = smooth.MaskedFill(ignored, 0);
        Tensor reduced = reduction switch
        {
            Reduction.None => smooth,
            Reduction.Sum => smooth.Sum(),
            Reduction.Mean => smooth.Sum() / KeptWeight(target, weight, ignoreIndex),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"unknown reduction {reduction}"),
        };
        return nll * (1 - labelSmoothing) + reduced * (labelSmoothing / classes);
    }

    private static double KeptWeight(Tensor target, Tensor? weight, long ignoreIndex)
    {
        var w = weight?.Contiguous().ToDoubleArray();
        double total = 0;
        foreach (long t in target.Contiguous().AsSpan<long>())
            if (t != ignoreIndex) total += w is null ? 1 : w[t];
        return total;
    }

    /// <summary>
    /// Binary cross entropy on logits, stably: (1 − t)·x + lw·(log(1 + e^(−|x|)) + max(−x, 0)) with
    /// lw = 1 + (pos_weight − 1)·t, times weight. d/dx = lw·σ(x) − pos_weight·t, d/dt = pos_weight·softplus(−x) − softplus(x).
    /// </summary>
    public static Tensor BceWithLogits(Tensor input, Tensor target, Tensor? weight, Reduction reduction, Tensor? posWeight)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        const string op = "binary_cross_entropy_with_logits";
        input.CheckFloat(op);
        input.CheckSameDType(target, op);
        if (!Shapes.SameShape(input.ShapeArray, target.ShapeArray))
            throw new ArgumentException($"{op}: target of shape {Shapes.Format(target.ShapeArray)} must have the input's shape {Shapes.Format(input.ShapeArray)}", nameof(target));
        if (weight is not null) { input.CheckSameDType(weight, op); Shapes.Broadcast(input.ShapeArray, weight.ShapeArray, op); }
        if (posWeight is not null) { input.CheckSameDType(posWeight, op); Shapes.Broadcast(input.ShapeArray, posWeight.ShapeArray, op); }

        var x = input.Contiguous().ToDoubleArray();
        var t = target.Contiguous().ToDoubleArray();
        var pw = posWeight?.Detach().Expand(input.Shape).Contiguous().ToDoubleArray();
        var loss = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double lw = pw is null ? 1 : 1 + (pw[i] - 1) * t[i];
            loss[i] = (1 - t[i]) * x[i] + lw * SoftplusOfNegative(x[i]);
        }
        var values = Tensor.FromDoubles(loss, input.Shape, input.DType);
        var elementwise = Autograd.Record(values, "BinaryCrossEntropyWithLogitsBackward", [input, target], g =>
        {
            var gs = g.Contiguous().ToDoubleArray();
            var gx = input.RequiresGrad ? new double[x.Length] : null;
            var gt = target.RequiresGrad ? new double[x.Length] : null;
            for (int i = 0; i < x.Length; i++)
            {
                double p = pw is null ? 1 : pw[i];
                double lw = 1 + (p - 1) * t[i];
                if (gx is not null) gx[i] = gs[i] * (lw * Sigmoid(x[i]) - p * t[i]);
                if (gt is not null) gt[i] = gs[i] * (pw is null ? -x[i] : p * SoftplusOfNegative(x[i]) - SoftplusOfNegative(-x[i]));
            }
            return [
                gx is null ? null : Tensor.FromDoubles(gx, input.Shape, input.DType),
                gt is null ? null : Tensor.FromDoubles(gt, input.Shape, input.DType)];
        });
        return Reduce(weight is null ? elementwise : elementwise * weight.Detach(), reduction);
    }

    /// <summary>log(1 + e^(−x)) without overflow.</summary>
    private static double SoftplusOfNegative(double x) => Math.Max(-x, 0) + double.LogP1(Math.Exp(-Math.Abs(x)));

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
