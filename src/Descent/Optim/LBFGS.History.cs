using System.Globalization;

namespace Descent.Optim;

public sealed partial class LBFGS
{
    /// <summary>Every L-BFGS state tensor is a vector over all parameters flattened: PyTorch's <c>flat_grad</c> length.</summary>
    private protected override int[] StateShape(string name, Tensor parameter) => [_numel];

    /// <summary>
    /// A loaded state is the first parameter's (where <see cref="StepWith"/> keeps it): counters <c>func_evals</c> and
    /// <c>n_iter</c> that are whole numbers ≥ 0, and a history of pairs <c>old_dirs.{i}</c>, <c>old_stps.{i}</c> (tensors)
    /// with <c>ro.{i}</c> (a number) for i = 0, 1, … with none missing. Once a step has run (n_iter &gt; 0 or a pair saved)
    /// the state must also hold what the next one reads: the tensors <c>d</c> and <c>prev_flat_grad</c> and the finite
    /// numbers <c>t</c> and <c>H_diag</c>. Tensors are checked by <see cref="Optimizer"/>: floating point, of length numel.
    /// </summary>
    private protected override void CheckState(int index, ParamState state)
    {
        if (index != 0)
            throw new ArgumentException($"L-BFGS keeps its state on parameter 0, but the state dict holds state for parameter {index}", "stateDict");
        foreach (string counter in new[] { "func_evals", "n_iter" })
            if (state.Numbers.TryGetValue(counter, out double c) && !Require.IsCount(c))
                throw new ArgumentException($"the state dict's L-BFGS {counter} is {Require.Format(c)}; it must be a whole number >= 0", "stateDict");
        int pairs = 0;
        while (state.Tensors.ContainsKey(History.Name("old_dirs", pairs))) pairs++;
        for (int i = 0; i < pairs; i++)
        {
            if (!state.Tensors.ContainsKey(History.Name("old_stps", i)))
                throw new ArgumentException($"the state dict's L-BFGS history has old_dirs.{i} but no tensor old_stps.{i}", "stateDict");
            if (!state.Numbers.ContainsKey(History.Name("ro", i)))
                throw new ArgumentException($"the state dict's L-BFGS history has old_dirs.{i} but no number ro.{i}", "stateDict");
        }
        foreach (string name in state.Tensors.Keys.Concat(state.Numbers.Keys))
            if (HistoryIndex(name) is int i && (i < 0 || i >= pairs))
                throw new ArgumentException($"the state dict's L-BFGS history has {name}, outside its {pairs} pairs old_dirs.i, old_stps.i, ro.i", "stateDict");
        if (state.Numbers.GetValueOrDefault("n_iter") == 0 && pairs == 0) return;
        foreach (string tensor in new[] { "d", "prev_flat_grad" })
            if (!state.Tensors.ContainsKey(tensor))
                throw new ArgumentException($"the state dict's L-BFGS state has taken a step but has no tensor {tensor}", "stateDict");
        foreach (string number in new[] { "t", "H_diag" })
            if (!state.Numbers.TryGetValue(number, out double v) || !double.IsFinite(v))
                throw new ArgumentException($"the state dict's L-BFGS state has taken a step, so {number} must be a finite number, got " +
                    (state.Numbers.ContainsKey(number) ? Require.Format(v) : "none"), "stateDict");
    }

    /// <summary>The i of a history entry's name (<c>old_dirs.i</c>, <c>old_stps.i</c>, <c>ro.i</c>), or null.</summary>
    private static int? HistoryIndex(string name)
    {
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || name[..dot] is not ("old_dirs" or "old_stps" or "ro")) return null;
        return int.TryParse(name.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int i) ? i : -1;
    }

    /// <summary>
    /// L-BFGS's state, kept as PyTorch keeps it on the first parameter: counters <c>func_evals</c> and <c>n_iter</c>, the
    /// last direction <c>d</c> and step <c>t</c>, the curvature pairs <c>old_dirs.{i}</c>/<c>old_stps.{i}</c> with
    /// <c>ro.{i}</c>, <c>H_diag</c>, <c>prev_flat_grad</c> and <c>prev_loss</c>. Read before and written after every step, so
    /// a loaded state continues exactly.
    /// </summary>
    private sealed class History
    {
        public long FuncEvals, NIter;
        public double[]? D, PrevFlatGrad;
        public double T, HDiag = 1, PrevLoss;
        public List<double[]> Dirs { get; } = [];
        public List<double[]> Steps { get; } = [];
        public List<double> Ro { get; } = [];

        public static History Read(ParamState state)
        {
            var h = new History
            {
                FuncEvals = (long)state.Numbers.GetValueOrDefault("func_evals"),
                NIter = (long)state.Numbers.GetValueOrDefault("n_iter"),
                T = state.Numbers.GetValueOrDefault("t"),
                HDiag = state.Numbers.GetValueOrDefault("H_diag", 1),
                PrevLoss = state.Numbers.GetValueOrDefault("prev_loss"),
                D = state.Tensors.TryGetValue("d", out var d) ? d.ToDoubleArray() : null,
                PrevFlatGrad = state.Tensors.TryGetValue("prev_flat_grad", out var p) ? p.ToDoubleArray() : null,
            };
            for (int i = 0; state.Tensors.TryGetValue(Name("old_dirs", i), out var y); i++)
            {
                h.Dirs.Add(y.ToDoubleArray());
                h.Steps.Add(state.Tensors[Name("old_stps", i)].ToDoubleArray());
                h.Ro.Add(state.Numbers[Name("ro", i)]);
            }
            return h;
        }

        public void Write(ParamState state, DType dtype)
        {
            state.Numbers["func_evals"] = FuncEvals;
            state.Numbers["n_iter"] = NIter;
            state.Step = NIter;
            foreach (var key in state.Tensors.Keys.Where(k => k.StartsWith("old_", StringComparison.Ordinal)).ToList()) state.Tensors.Remove(key);
            foreach (var key in state.Numbers.Keys.Where(k => k.StartsWith("ro.", StringComparison.Ordinal)).ToList()) state.Numbers.Remove(key);
            if (D is null) return;
            state.Numbers["t"] = T;
            state.Numbers["H_diag"] = HDiag;
            state.Numbers["prev_loss"] = PrevLoss;
            state.Tensors["d"] = ToTensor(D, dtype);
            if (PrevFlatGrad is not null) state.Tensors["prev_flat_grad"] = ToTensor(PrevFlatGrad, dtype);
            for (int i = 0; i < Dirs.Count; i++)
            {
                state.Tensors[Name("old_dirs", i)] = ToTensor(Dirs[i], dtype);
                state.Tensors[Name("old_stps", i)] = ToTensor(Steps[i], dtype);
                state.Numbers[Name("ro", i)] = Ro[i];
            }
        }

        public static string Name(string list, int i) => list + "." + i.ToString(CultureInfo.InvariantCulture);

        private static Tensor ToTensor(double[] v, DType dtype) =>
            dtype == DType.Float64 ? Tensor.FromArray((double[])v.Clone()) : Tensor.FromArray(v.Select(x => (float)x).ToArray());
    }
}
