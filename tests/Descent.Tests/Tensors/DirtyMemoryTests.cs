using Descent.NN;
using F = Descent.NN.Functional;

namespace Descent.Tests.Tensors;

/// <summary>
/// Results never depend on what memory held before: the pool's poisoning hook fills every uninitialised or released
/// array with NaN, so a tensor that should start at zero, or an element a kernel leaves unwritten, shows up every time.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)] // seeded comparisons, and the shared pool is cleared and poisoned: run alone
public class DirtyMemoryTests
{
    [Fact]
    public void Zeroed_tensors_in_a_scope_are_zero_when_the_pool_has_no_array_of_their_size()
    {
        TensorScope.ClearPool(); // so the scope must allocate afresh
        using var poison = StoragePool.PoisonUninitialized();
        using (new TensorScope())
        {
            Assert.All(Tensor.Zeros([64, 64]).ToArray<float>(), v => Assert.Equal(0f, v));
            Assert.All(Tensor.Zeros([64, 64], DType.Float64).ToArray<double>(), v => Assert.Equal(0d, v));
        }
        // And from the pool, whose arrays the hook filled with NaN when the scope gave them back.
        using (new TensorScope()) Assert.All(Tensor.Zeros([64, 64]).ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void The_hook_poisons_uninitialised_and_released_arrays()
    {
        using var poison = StoragePool.PoisonUninitialized();
        Assert.All((float[])StoragePool.AllocateUninitialized(DType.Float32, 8), v => Assert.True(float.IsNaN(v)));
        Assert.All((long[])StoragePool.AllocateUninitialized(DType.Int64, 8), v => Assert.Equal(-1L, v));
        var released = new double[1024];
        StoragePool.Return(DType.Float64, released);
        Assert.All(released, v => Assert.True(double.IsNaN(v)));
        StoragePool.Clear();
    }

    /// <summary>
    /// The command line's digits CNN (8×8 images: convolutions on 8×8 and 4×4 planes, pooling to 2×2), on a full batch,
    /// the test set's last partial batch (360 = 2·128 + 104) and odd image sizes (7×7 pools to 3×3 and then 1×1): every
    /// step in a scope, on fresh and then on pooled memory both full of NaN, gives bit for bit the loss, gradients and
    /// evaluation outputs of the same step without scopes.
    /// </summary>
    [Theory]
    [InlineData(8, 128, false)]
    [InlineData(8, 104, false)]
    [InlineData(7, 40, false)]
    [InlineData(8, 104, true)]
    public void Cnn_steps_in_scopes_on_dirty_memory_match_steps_without(int size, int batch, bool batchNorm)
    {
        Tensor.ManualSeed(5);
        var x = Tensor.Randn([batch, size * size]);
        var y = Tensor.FromArray(Enumerable.Range(0, batch).Select(i => (long)(i % 10)).ToArray(), [batch]);
        var expected = Step(DigitsCnn(size, batchNorm), x, y, scoped: false);
        Assert.True(float.IsFinite(expected.Loss));

        TensorScope.ClearPool(); // the first scoped step allocates afresh, the second reuses what the first gave back
        using var poison = StoragePool.PoisonUninitialized();
        for (int run = 0; run < 2; run++)
        {
            var actual = Step(DigitsCnn(size, batchNorm), x, y, scoped: true);
            Assert.Equal(expected.Loss, actual.Loss);
            Assert.Equal(expected.Logits, actual.Logits);
            Assert.Equal(expected.Grads.Length, actual.Grads.Length);
            for (int i = 0; i < expected.Grads.Length; i++) Assert.Equal(expected.Grads[i], actual.Grads[i]);
        }
    }

    /// <summary>What <c>ModelCatalog.Build("cnn" or "cnn-bn")</c> builds for one-channel size×size images, seeded.</summary>
    private static Sequential DigitsCnn(int size, bool batchNorm)
    {
        Tensor.ManualSeed(6);
        var model = new Sequential();
        foreach (var (inChannels, outChannels) in new[] { (1, 16), (16, 32) })
        {
            model.Add(new Conv2d(inChannels, outChannels, 3, padding: 1, bias: !batchNorm));
            if (batchNorm) model.Add(new BatchNorm2d(outChannels));
            model.Add(new ReLU()).Add(new MaxPool2d(2));
        }
        return model.Add(new Flatten()).Add(new Linear(32 * (size / 4) * (size / 4), 10));
    }

    /// <summary>One training step's loss and gradients, then the evaluation logits, as the trainer computes them.</summary>
    private static (float Loss, float[][] Grads, float[] Logits) Step(Sequential model, Tensor x, Tensor y, bool scoped)
    {
        var images = x.Reshape([x.Size(0), 1, (int)Math.Sqrt(x.Size(1)), (int)Math.Sqrt(x.Size(1))]);
        float loss;
        using (scoped ? new TensorScope() : null)
        {
            var l = F.CrossEntropy(model.Forward(images), y);
            l.Backward();
            loss = l.Item<float>();
        }
        var grads = model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        model.Eval();
        float[] logits;
        using (Descent.Autograd.NoGrad())
        using (scoped ? new TensorScope() : null)
            logits = model.Forward(images).ToArray<float>();
        return (loss, grads, logits);
    }
}
