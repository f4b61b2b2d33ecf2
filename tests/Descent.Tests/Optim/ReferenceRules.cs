using System.Numerics;

namespace Descent.Tests.Optim;

/// <summary>
/// Plain scalar loops of each update rule, written from PyTorch's single-tensor code with the same order of operations;
/// hyperparameter expressions are computed in double and rounded to T once, as PyTorch rounds Python floats.
/// </summary>
internal sealed class ReferenceRule<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly Dictionary<string, T[]> State = [];
    private readonly Action<T[], T[], long> _step;
    private long _t;

    private ReferenceRule(Func<ReferenceRule<T>, Action<T[], T[], long>> make) => _step = make(this);

    public void Step(T[] p, T[] g) => _step(p, g, ++_t);

    private T[] Buf(string name, int n, double init = 0)
    {
        if (!State.TryGetValue(name, out var b)) State[name] = b = Enumerable.Repeat(C(init), n).ToArray();
        return b;
    }

    private static T C(double v) => T.CreateTruncating(v);

    public static ReferenceRule<T> Sgd(double lr, double momentum, double dampening, double wd, bool nesterov, bool maximize) => new(r => (p, g, t) =>
    {
        var b = momentum != 0 ? r.Buf("momentum_buffer", p.Length) : null;
        for (int i = 0; i < p.Length; i++)
        {
            T d = maximize ? -g[i] : g[i];
            // PyTorch's add(x, alpha=a) is one fused multiply-add: y + a·x rounded once.
            if (wd != 0) d = T.FusedMultiplyAdd(p[i], C(wd), d);
            if (b is not null)
            {
                b[i] = t == 1 ? d : T.FusedMultiplyAdd(d, C(1 - dampening), b[i] * C(momentum));
                d = nesterov ? T.FusedMultiplyAdd(b[i], C(momentum), d) : b[i];
            }
            p[i] = T.FusedMultiplyAdd(d, C(-lr), p[i]);
        }
    });

    public static ReferenceRule<T> Adagrad(double lr, double lrDecay, double wd, double init, double eps) => new(r => (p, g, t) =>
    {
        var s = r.Buf("sum", p.Length, init);
        double clr = lr / (1 + (t - 1) * lrDecay);
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (wd != 0) d = d + C(wd) * p[i];
            s[i] = s[i] + d * d;
            p[i] = p[i] + C(-clr) * d / (T.Sqrt(s[i]) + C(eps));
        }
    });

    public static ReferenceRule<T> Adadelta(double lr, double rho, double eps, double wd) => new(r => (p, g, t) =>
    {
        var v = r.Buf("square_avg", p.Length);
        var u = r.Buf("acc_delta", p.Length);
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (wd != 0) d = d + C(wd) * p[i];
            v[i] = v[i] * C(rho) + C(1 - rho) * d * d;
            T std = T.Sqrt(v[i] + C(eps));
            T delta = T.Sqrt(u[i] + C(eps)) / std * d;
            u[i] = u[i] * C(rho) + C(1 - rho) * delta * delta;
            p[i] = p[i] + C(-lr) * delta;
        }
    });

    public static ReferenceRule<T> Rmsprop(double lr, double alpha, double eps, double wd, double momentum, bool centered) => new(r => (p, g, t) =>
    {
        var v = r.Buf("square_avg", p.Length);
        var b = momentum > 0 ? r.Buf("momentum_buffer", p.Length) : null;
        var m = centered ? r.Buf("grad_avg", p.Length) : null;
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (wd != 0) d = d + C(wd) * p[i];
            v[i] = v[i] * C(alpha) + C(1 - alpha) * d * d;
            T avg;
            if (m is not null)
            {
                m[i] = m[i] * C(alpha) + C(1 - alpha) * d;
                avg = T.Sqrt(v[i] + C(-1) * m[i] * m[i]) + C(eps);
            }
            else avg = T.Sqrt(v[i]) + C(eps);
            if (b is not null)
            {
                b[i] = b[i] * C(momentum) + T.One * d / avg;
                p[i] = p[i] + C(-lr) * b[i];
            }
            else p[i] = p[i] + C(-lr) * d / avg;
        }
    });

    public static ReferenceRule<T> Adam(double lr, double beta1, double beta2, double eps, double wd, bool amsgrad, bool decoupled) => new(r => (p, g, t) =>
    {
        var m = r.Buf("exp_avg", p.Length);
        var v = r.Buf("exp_avg_sq", p.Length);
        var vmax = amsgrad ? r.Buf("max_exp_avg_sq", p.Length) : null;
        double stepSize = lr / (1 - Math.Pow(beta1, t));
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, t));
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (decoupled) p[i] = p[i] * C(1 - lr * wd);
            else if (wd != 0) d = d + C(wd) * p[i];
            m[i] = m[i] * C(beta1) + C(1 - beta1) * d;
            v[i] = v[i] * C(beta2) + C(1 - beta2) * d * d;
            T s = v[i];
            if (vmax is not null) s = vmax[i] = T.Max(vmax[i], v[i]);
            T denom = T.Sqrt(s) / C(bc2Sqrt) + C(eps);
            p[i] = p[i] + C(-stepSize) * m[i] / denom;
        }
    });

    public static ReferenceRule<T> Adamax(double lr, double beta1, double beta2, double eps, double wd) => new(r => (p, g, t) =>
    {
        var m = r.Buf("exp_avg", p.Length);
        var u = r.Buf("exp_inf", p.Length);
        double clr = lr / (1 - Math.Pow(beta1, t));
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (wd != 0) d = d + C(wd) * p[i];
            m[i] = m[i] * C(beta1) + C(1 - beta1) * d;
            u[i] = T.Max(u[i] * C(beta2), T.Abs(d) + C(eps));
            p[i] = p[i] + C(-clr) * m[i] / u[i];
        }
    });

    public static ReferenceRule<T> Nadam(double lr, double beta1, double beta2, double eps, double wd, double psi)
    {
        float product = 1;
        return new(r => (p, g, t) =>
        {
            var m = r.Buf("exp_avg", p.Length);
            var v = r.Buf("exp_avg_sq", p.Length);
            double bc2 = 1 - Math.Pow(beta2, t);
            double mu = beta1 * (1 - 0.5 * Math.Pow(0.96, t * psi));
            double muNext = beta1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * psi));
            product *= (float)mu;
            float productNext = product * (float)mu * (float)muNext;
            for (int i = 0; i < p.Length; i++)
            {
                T d = g[i];
                if (wd != 0) d = d + C(wd) * p[i];
                m[i] = m[i] * C(beta1) + C(1 - beta1) * d;
                v[i] = v[i] * C(beta2) + C(1 - beta2) * d * d;
                T denom = T.Sqrt(v[i] / C(bc2)) + C(eps);
                p[i] = p[i] + C(-lr * (1 - mu) / (1.0 - product)) * d / denom;
                p[i] = p[i] + C(-lr * muNext / (1.0 - productNext)) * m[i] / denom;
            }
        });
    }

    public static ReferenceRule<T> Radam(double lr, double beta1, double beta2, double eps, double wd) => new(r => (p, g, t) =>
    {
        var m = r.Buf("exp_avg", p.Length);
        var v = r.Buf("exp_avg_sq", p.Length);
        double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * t * Math.Pow(beta2, t) / bc2;
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            if (wd != 0) d = d + C(wd) * p[i];
            m[i] = m[i] * C(beta1) + C(1 - beta1) * d;
            v[i] = v[i] * C(beta2) + C(1 - beta2) * d * d;
            T corrected = m[i] / C(bc1);
            if (rhoT > 5)
            {
                double rect = Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
                T adaptive = T.One / (T.Sqrt(v[i]) + C(eps)) * C(Math.Sqrt(bc2));
                p[i] = p[i] - corrected * C(lr) * adaptive * C(rect);
            }
            else p[i] = p[i] - corrected * C(lr);
        }
    });

    public static ReferenceRule<T> Rprop(double lr, double etaMinus, double etaPlus, double min, double max) => new(r => (p, g, t) =>
    {
        var prev = r.Buf("prev", p.Length);
        var size = r.Buf("step_size", p.Length, lr);
        for (int i = 0; i < p.Length; i++)
        {
            T d = g[i];
            T sign = T.CreateTruncating(Math.Sign(double.CreateTruncating(d * prev[i])));
            T eta = sign > T.Zero ? C(etaPlus) : sign < T.Zero ? C(etaMinus) : T.One;
            size[i] = T.Clamp(size[i] * eta, C(min), C(max));
            if (eta == C(etaMinus)) d = T.Zero;
            p[i] = p[i] + C(-1) * T.CreateTruncating(Math.Sign(double.CreateTruncating(d))) * size[i];
            prev[i] = d;
        }
    });
}
