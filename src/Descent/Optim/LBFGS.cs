namespace Descent.Optim;

/// <summary>
/// L-BFGS: a quasi-Newton method that builds an inverse-Hessian approximation from the last few steps, as
/// <c>torch.optim.LBFGS</c> (after minFunc), with an optional strong-Wolfe line search.
/// </summary>
/// <remarks>
/// <para>Each <see cref="Optimizer.Step(Func{Tensor})"/> runs up to <c>maxIter</c> iterations, re-evaluating the closure. With
/// g the flattened gradient, and the pairs sᵢ = θᵢ₊₁ − θᵢ, yᵢ = gᵢ₊₁ − gᵢ (kept when yᵀs &gt; 1e-10, at most
/// <c>historySize</c>), ρᵢ = 1/(yᵢᵀsᵢ), H₀ = yᵀs/yᵀy:</para>
/// <code>
/// q ← −g;  for i newest→oldest: aᵢ ← ρᵢ sᵢᵀq;  q ← q − aᵢyᵢ
/// d ← H₀q; for i oldest→newest: bᵢ ← ρᵢ yᵢᵀd;  d ← d + (aᵢ − bᵢ)sᵢ
/// t ← min(1, 1/‖g‖₁)·lr on the very first iteration, else lr (or the strong-Wolfe step)
/// θ ← θ + t·d
/// </code>
/// <para>The arithmetic follows the parameters' dtype as PyTorch's does: for float32 parameters the vectors, dot
/// products, the two-loop recursion and the line search's slopes are single precision, the losses double.</para>
/// <para>It stops early when max|g| ≤ toleranceGrad, when gᵀd &gt; −toleranceChange, when max|t·d| or the change of the
/// loss falls below toleranceChange, or after maxEval evaluations.</para>
/// <para><b>Strengths:</b> near-Newton convergence on smooth deterministic problems (often orders of magnitude fewer
/// iterations than first-order methods), no learning rate to tune with the line search. <b>Weaknesses:</b> needs exact
/// full-batch gradients (noise breaks the curvature pairs); memory of 2·historySize copies of the parameters; one group
/// only; several function evaluations per step. <b>Suits:</b> small to medium smooth problems: curve fitting, classical
/// test functions, style transfer, fine convergence after a first-order warm start.</para>
/// <para><b>Principle:</b> Newton's method without the Hessian: the last few steps and the gradient changes they
/// caused describe the curvature, and the two-loop recursion turns them into a direction that is scaled for each
/// direction of the problem, with a line search choosing how far to go.</para>
/// </remarks>
public sealed partial class LBFGS : Optimizer
{
    private readonly Tensor[] _params;
    private readonly int _numel;

    /// <summary>Creates L-BFGS over <paramref name="parameters"/> (one group) with PyTorch's hyperparameters.</summary>
    /// <param name="parameters">The tensors to optimise.</param>
    /// <param name="lr">Step length along each direction.</param>
    /// <param name="maxIter">Most iterations per step.</param>
    /// <param name="maxEval">Most function evaluations per step (default maxIter·5/4).</param>
    /// <param name="toleranceGrad">Stop when max|g| ≤ this.</param>
    /// <param name="toleranceChange">Stop when the step or the loss change is below this.</param>
    /// <param name="historySize">Number of curvature pairs kept.</param>
    /// <param name="lineSearch">None (a fixed step of lr), or <see cref="LineSearch.StrongWolfe"/>.</param>
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7,
        double toleranceChange = 1e-9, int historySize = 100, LineSearch lineSearch = LineSearch.None)
        : this(parameters, new LBFGSOptions(lr)
        {
            MaxIter = maxIter, MaxEval = maxEval, ToleranceGrad = toleranceGrad,
            ToleranceChange = toleranceChange, HistorySize = historySize, LineSearch = lineSearch,
        })
    {
    }

    /// <summary>Creates L-BFGS over <paramref name="parameters"/> (one group) with the given options.</summary>
    public LBFGS(IEnumerable<Tensor> parameters, LBFGSOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AddGroup(parameters, options, nameof(parameters));
        _params = [.. ParamGroups[0].Parameters];
        _numel = _params.Sum(p => p.NumEl);
    }

    /// <summary>The hyperparameters of the one group.</summary>
    public LBFGSOptions Options => (LBFGSOptions)Groups[0].RuleOptions;

    /// <summary>
    /// Runs up to <c>maxIter</c> L-BFGS iterations; <paramref name="closure"/> zeroes the gradients, computes the loss,
    /// calls Backward and returns the loss. Returns the loss of the first evaluation.
    /// </summary>
    protected override Tensor StepWith(Func<Tensor> closure)
    {
        var o = Options;
        var math = new FlatMath(_params[0].DType == DType.Float32);
        var state = StateFor(_params[0]);
        var h = History.Read(state);
        using var noGrad = Autograd.NoGrad();
        using var outlivesScopes = TensorScope.Suspend(); // the history lives across steps

        var origLoss = Evaluate(closure);
        double loss = origLoss.Item();
        int currentEvals = 1;
        h.FuncEvals++;
        var flatGrad = GatherFlatGrad();
        bool optCond = math.MaxAbs(flatGrad, 1) <= o.ToleranceGrad;
        if (optCond)
        {
            h.Write(state, _params[0].DType);
            return origLoss;
        }

        int nIter = 0;
        while (nIter < o.MaxIter)
        {
            nIter++;
            h.NIter++;
            if (h.NIter == 1)
            {
                h.D = math.Scaled(flatGrad, -1);
                h.Dirs.Clear();
                h.Steps.Clear();
                h.Ro.Clear();
                h.HDiag = 1;
            }
            else
            {
                h.D = Direction(math, h, flatGrad, o.HistorySize);
            }
            h.PrevFlatGrad = (double[])flatGrad.Clone();
            h.PrevLoss = loss;
            // 1 / ‖g‖₁ is a tensor: the first step length is one (of the dtype) whenever it is below 1.
            Num t = h.NIter == 1 ? Num.Min(1.0, 1.0 / math.SumAbs(flatGrad)) * o.Lr : o.Lr;
            Num gtd = math.Dot(flatGrad, h.D);
            h.T = t.Value;
            if (gtd > -o.ToleranceChange) break;

            int lsEvals = 0;
            if (o.LineSearch == LineSearch.StrongWolfe)
            {
                var x = CloneParams();
                (loss, flatGrad, t, lsEvals) = StrongWolfe(math, (step, d) => DirectionalEvaluate(closure, x, step, d), t, h.D, loss, flatGrad, gtd);
                h.T = t.Value;
                AddGrad(h.T, h.D);
                optCond = math.MaxAbs(flatGrad, 1) <= o.ToleranceGrad;
            }
            else
            {
                AddGrad(h.T, h.D);
                if (nIter != o.MaxIter)
                {
                    loss = Evaluate(closure).Item();
                    flatGrad = GatherFlatGrad();
                    optCond = math.MaxAbs(flatGrad, 1) <= o.ToleranceGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            h.FuncEvals += lsEvals;

            if (nIter == o.MaxIter) break;
            if (currentEvals >= o.EvaluationBudget) break;
            if (optCond) break;
            if (math.MaxAbs(h.D, t) <= o.ToleranceChange) break;
            if (Math.Abs(loss - h.PrevLoss) < o.ToleranceChange) break;
        }
        h.Write(state, _params[0].DType);
        return origLoss;
    }

    /// <summary>The two-loop recursion: adds the newest curvature pair, then returns −H·g.</summary>
    private static double[] Direction(FlatMath math, History h, double[] flatGrad, int historySize)
    {
        var y = math.Difference(flatGrad, h.PrevFlatGrad!);
        var s = math.Scaled(h.D!, h.T);
        Num ys = math.Dot(y, s);
        if (ys > 1e-10)
        {
            if (h.Dirs.Count == historySize)
            {
                h.Dirs.RemoveAt(0);
                h.Steps.RemoveAt(0);
                h.Ro.RemoveAt(0);
            }
            h.Dirs.Add(y);
            h.Steps.Add(s);
            h.Ro.Add((1.0 / ys).Value);
            h.HDiag = (ys / math.Dot(y, y)).Value;
        }
        int numOld = h.Dirs.Count;
        var al = new Num[numOld];
        var q = math.Scaled(flatGrad, -1);
        for (int i = numOld - 1; i >= 0; i--)
        {
            al[i] = math.Dot(h.Steps[i], q) * math.Tensor(h.Ro[i]);
            math.AddScaled(q, h.Dirs[i], -al[i]);
        }
        var r = math.Scaled(q, h.HDiag);
        for (int i = 0; i < numOld; i++)
        {
            Num be = math.Dot(h.Dirs[i], r) * math.Tensor(h.Ro[i]);
            math.AddScaled(r, h.Steps[i], al[i] - be);
        }
        return r;
    }

    private static Tensor Evaluate(Func<Tensor> closure)
    {
        using (Autograd.EnableGrad()) return closure();
    }

    private (double Loss, double[] Grad) DirectionalEvaluate(Func<Tensor> closure, double[][] x, double t, double[] d)
    {
        AddGrad(t, d);
        double loss = Evaluate(closure).Item();
        var grad = GatherFlatGrad();
        SetParams(x);
        return (loss, grad);
    }

    private double[] GatherFlatGrad()
    {
        var flat = new double[_numel];
        int offset = 0;
        foreach (var p in _params)
        {
            // A row-sparse gradient (a sparse embedding) is read dense, as PyTorch's L-BFGS does.
            var grad = p.Grad ?? p.SparseGrad?.ToDense();
            if (grad is not null) grad.ToDoubleArray().CopyTo(flat, offset);
            offset += p.NumEl;
        }
        return flat;
    }

    /// <summary>θ ← θ + t·d, parameter by parameter (PyTorch's <c>_add_grad</c>).</summary>
    private void AddGrad(double t, double[] d)
    {
        int offset = 0;
        foreach (var p in _params)
        {
            if (p.DType == DType.Float64)
            {
                var s = p.AsSpan<double>();
                for (int i = 0; i < s.Length; i++) s[i] += t * d[offset + i];
            }
            else
            {
                var s = p.AsSpan<float>();
                float tf = (float)t;
                for (int i = 0; i < s.Length; i++) s[i] += tf * (float)d[offset + i];
            }
            offset += p.NumEl;
        }
    }

    private double[][] CloneParams() => [.. _params.Select(p => p.ToDoubleArray())];

    private void SetParams(double[][] x)
    {
        for (int k = 0; k < _params.Length; k++)
        {
            var p = _params[k];
            if (p.DType == DType.Float64) x[k].CopyTo(p.AsSpan<double>());
            else
            {
                var s = p.AsSpan<float>();
                for (int i = 0; i < s.Length; i++) s[i] = (float)x[k][i];
            }
        }
    }

    // Python's min and max: the first argument unless the second compares strictly smaller (larger).
    private static double PyMin(double a, double b) => b < a ? b : a;

    private static double PyMax(double a, double b) => b > a ? b : a;
}
