using System.Globalization;

namespace Descent.Optim;

public sealed partial class LBFGS
{
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

        private static string Name(string list, int i) => list + "." + i.ToString(CultureInfo.InvariantCulture);

        private static Tensor ToTensor(double[] v, DType dtype) =>
            dtype == DType.Float64 ? Tensor.FromArray((double[])v.Clone()) : Tensor.FromArray(v.Select(x => (float)x).ToArray());
    }
}
