using Descent.NN;
using Descent.Optim;
using F = Descent.NN.Functional;

namespace Descent.Tests.Tensors;

/// <summary>A TensorScope releases what was made inside it, keeps what must live on, and changes no result.</summary>
[Collection(DefaultGeneratorCollection.Name)] // seeded comparisons, and the shared pool: run alone
public class TensorScopeTests
{
    private static Tensor Big(double value) => Tensor.Full([64, 64], value); // 16 KiB: pooled

    [Fact]
    public void Tensors_made_inside_are_released_with_their_views()
    {
        Tensor inside, view;
        using (new TensorScope())
        {
            inside = Big(1) + 1;
            view = inside.Narrow(0, 0, 2);
            Assert.Equal(2f, view[0][0].Item<float>());
        }
        var e = Assert.Throws<ObjectDisposedException>(() => inside.ToArray<float>());
        Assert.Contains("TensorScope", e.Message);
        Assert.Throws<ObjectDisposedException>(() => view.ToArray<float>());
    }

    [Fact]
    public void Small_tensors_are_released_alike_and_their_memory_is_not_pooled()
    {
        Tensor small, view, loss;
        Array storage;
        using (new TensorScope())
        {
            small = Tensor.Full([3], 1) + 1; // 12 bytes: too small to pool, released all the same
            view = small.Narrow(0, 1, 2);
            loss = (small * small).Sum();
            storage = small.StorageOrNull!;
            Assert.Equal(12f, loss.Item<float>());
        }
        var e = Assert.Throws<ObjectDisposedException>(() => small.ToArray<float>());
        Assert.Contains("shape [3]", e.Message, StringComparison.Ordinal);
        Assert.Contains("TensorScope", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => view.ToArray<float>());
        Assert.Contains("shape []", Assert.Throws<ObjectDisposedException>(() => loss.Item()).Message, StringComparison.Ordinal);
        using (new TensorScope()) Assert.NotSame(storage, Tensor.Zeros([3]).StorageOrNull); // the garbage collector's, not the pool's
    }

    [Fact]
    public void Small_tensors_kept_or_from_before_the_scope_survive()
    {
        var before = Tensor.Full([2, 2], 4);
        Tensor kept, viewOfBefore;
        using (var scope = new TensorScope())
        {
            kept = scope.Keep(before * 2);
            viewOfBefore = before.Reshape([4]);
        }
        Assert.Equal([8f, 8, 8, 8], kept.ToArray<float>());
        Assert.Equal([4f, 4, 4, 4], viewOfBefore.ToArray<float>());
    }

    [Fact]
    public void Small_gradients_and_optimizer_state_made_inside_outlive_the_scope()
    {
        var p = Tensor.Full([3], 1).RequiresGrad_();
        var adam = new Adam([p], lr: 0.1);
        using (new TensorScope())
        {
            (p * p).Sum().Backward();
            adam.Step();
        }
        Assert.Equal([2f, 2, 2], p.Grad!.ToArray<float>());
        Assert.All(p.ToArray<float>(), v => Assert.Equal(0.9f, v, 6));
        Assert.All(adam.StateDict().NamedTensors(), s => Assert.NotNull(s.Value.ToDoubleArray()));
    }

    [Fact]
    public void Kept_tensors_and_their_views_survive()
    {
        Tensor kept, view;
        using (var scope = new TensorScope())
        {
            kept = Big(2) * 3;
            view = kept.Reshape([4096]);
            scope.Keep(kept);
        }
        Assert.Equal(6f, kept[5][5].Item<float>());
        Assert.Equal(6f, view[100].Item<float>());
        using (new TensorScope())
        {
            var other = Big(7) + 0; // may reuse pooled memory: must not be the kept tensor's
            Assert.Equal(7f, other[0][0].Item<float>());
        }
        Assert.All(kept.ToArray<float>(), v => Assert.Equal(6f, v));
    }

    [Fact]
    public void Tensors_from_before_the_scope_are_untouched()
    {
        var before = Big(4);
        using (new TensorScope())
        {
            var v = before.Narrow(1, 0, 3);
            before.AddInPlace(Big(1));
            Assert.Equal(5f, v[0][0].Item<float>());
        }
        Assert.Equal(5f, before[63][63].Item<float>());
    }

    [Fact]
    public void Released_memory_is_reused_and_cleared_for_zeros()
    {
        using (new TensorScope()) Big(9).Fill_(9);
        using (new TensorScope())
        {
            var zeros = Tensor.Zeros([64, 64]);
            Assert.All(zeros.ToArray<float>(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void The_pool_holds_released_memory_until_cleared()
    {
        // A size no other test uses: other tests may use the shared pool at the same time.
        Array released;
        using (new TensorScope()) released = Tensor.Full([61, 67], 1).StorageOrNull!;
        Assert.True(TensorScope.PooledBytes >= 61 * 67 * sizeof(float), $"pooled {TensorScope.PooledBytes} bytes");
        using (new TensorScope())
        {
            var reused = Tensor.Zeros([61, 67]);
            Assert.Same(released, reused.StorageOrNull);
            Assert.All(reused.ToArray<float>(), v => Assert.Equal(0f, v));
        }
        TensorScope.ClearPool();
        using (new TensorScope()) Assert.NotSame(released, Tensor.Zeros([61, 67]).StorageOrNull);
    }

    [Fact]
    public void Kept_in_an_inner_scope_belongs_to_the_outer_one()
    {
        Tensor t;
        using (new TensorScope())
        {
            using (var inner = new TensorScope()) t = inner.Keep(Big(3) + 0);
            Assert.Equal(3f, t[1][1].Item<float>());
        }
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
    }

    [Fact]
    public void Ending_an_outer_scope_first_is_an_error()
    {
        var outer = new TensorScope();
        var inner = new TensorScope();
        var e = Assert.Throws<InvalidOperationException>(outer.Dispose);
        Assert.Contains("innermost first", e.Message);
        inner.Dispose();
        outer.Dispose();
        Assert.Null(TensorScope.Current);
        Assert.Throws<ObjectDisposedException>(() => outer.Keep(Big(1)));
    }

    [Fact]
    public void Training_steps_in_scopes_match_steps_without_and_keep_gradients_state_and_parameters()
    {
        (Module Model, FirstOrderOptimizer Opt) Build()
        {
            Tensor.ManualSeed(3);
            var model = new Sequential(new Linear(40, 64), new ReLU(), new Linear(64, 5));
            return (model, new Adam(model.Parameters(), lr: 0.01));
        }
        Tensor.ManualSeed(4);
        var x = Tensor.Randn([32, 40]);
        var y = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i % 5)).ToArray(), [32]);
        var (plain, plainOpt) = Build();
        var (scoped, scopedOpt) = Build();
        for (int step = 0; step < 4; step++)
        {
            plainOpt.ZeroGrad();
            F.CrossEntropy(plain.Forward(x), y).Backward();
            plainOpt.Step();
            using (new TensorScope())
            {
                scopedOpt.ZeroGrad(setToNone: step % 2 == 0);
                F.CrossEntropy(scoped.Forward(x), y).Backward();
                scopedOpt.Step();
            }
        }
        // Parameters, gradients and Adam's moments all outlived the scopes, with identical values.
        foreach (var (a, b) in plain.Parameters().Zip(scoped.Parameters()))
        {
            Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
            Assert.Equal(a.Grad!.ToArray<float>(), b.Grad!.ToArray<float>());
        }
        var plainState = plainOpt.StateDict().NamedTensors().ToList();
        var scopedState = scopedOpt.StateDict().NamedTensors().ToList();
        Assert.Equal(plainState.Count, scopedState.Count);
        // Adam's two moments for each of the two layers' weight and bias.
        Assert.Equal(4, plainState.Count(s => s.Key.EndsWith(".exp_avg", StringComparison.Ordinal)));
        Assert.Equal(4, plainState.Count(s => s.Key.EndsWith(".exp_avg_sq", StringComparison.Ordinal)));
        foreach (var (a, b) in plainState.Zip(scopedState))
        {
            Assert.Equal(a.Key, b.Key);
            Assert.Equal(a.Value.ToDoubleArray(), b.Value.ToDoubleArray());
        }
    }

    [Fact]
    public void Gradients_set_inside_a_scope_outlive_it()
    {
        var p = Tensor.Zeros([64, 64]).RequiresGrad_();
        using (new TensorScope())
        {
            p.Grad = Big(1) * 2;            // set by hand, as clipping or a custom rule might
            var opt = new SGD([p], lr: 0.1);
            opt.Step();
            opt.ZeroGrad(setToNone: false); // zeroes in place
        }
        Assert.All(p.Grad!.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(p.ToArray<float>(), v => Assert.Equal(-0.2f, v));
    }

    [Fact]
    public void A_model_built_inside_a_scope_keeps_its_parameters()
    {
        Linear layer;
        using (new TensorScope()) layer = new Linear(100, 50);
        Assert.Equal(5000, layer.Weight.ToArray<float>().Length);
    }

    [Fact]
    public void Backward_after_the_scope_fails_clearly_instead_of_reading_reused_memory()
    {
        var w = Tensor.Randn([64, 64]).RequiresGrad_();
        Tensor loss;
        using (var scope = new TensorScope())
        {
            var h = F.MaxPool2d((w * 2).Relu().Reshape([1, 1, 64, 64]), 2);
            loss = scope.Keep(h.Sum());
        }
        Assert.Throws<ObjectDisposedException>(() => loss.Backward());
    }
}
