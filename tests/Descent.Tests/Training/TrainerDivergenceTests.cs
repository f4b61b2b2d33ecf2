using Descent.Data;
using Descent.NN;
using Descent.Optim;
using Descent.Optim.Schedulers;
using Descent.Parallel;
using Descent.Training;
using F = Descent.NN.Functional;

namespace Descent.Tests.Training;

/// <summary>
/// The end of every epoch checks for divergence that the batches' own checks cannot see: the epoch's last step leaving
/// the weights infinite, or a validation loss that overflows. The run stops with <see cref="TrainingDivergedException"/>
/// naming the epoch and the parameter, before the epoch is recorded or checkpointed.
/// </summary>
public class TrainerDivergenceTests
{
    private const int Batches = 4; // 32 samples in batches of 8

    private static TensorDataset Data()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([32, 3], generator: g);
        return new TensorDataset(x, x.MatMul(Tensor.FromArray(new[] { 1f, -2f, 0.5f }, [3, 1])) + 0.3f);
    }

    /// <summary>
    /// SGD at 1e-3, except the step of <paramref name="spikeStep"/> (from 1) at 1e-3 · 1e300, which overflows the float32
    /// weights to infinity: the loss before that step is finite, so only the end of the epoch can notice.
    /// </summary>
    private static Trainer Build(int spikeStep, string? checkpoint = null, FirstOrderOptimizer? optimizer = null, Module? model = null, DistributedDataParallel? parallel = null)
    {
        model ??= new Linear(3, 1, generator: new Generator(1));
        optimizer ??= new SGD(model.Parameters(), lr: 1e-3);
        return new Trainer(model, optimizer, (y, t) => F.MseLoss(y, t))
        {
            Scheduler = new LambdaLR(optimizer, e => e == spikeStep - 1 ? 1e300 : 1),
            StepSchedulerPerBatch = true,
            CheckpointPath = checkpoint,
            Parallel = parallel,
        };
    }

    private static DataLoader Loader() => new(Data(), batchSize: 8, shuffle: true, generator: new Generator(2));

    [Fact]
    public void A_last_step_that_diverges_stops_the_run_naming_the_epoch_and_the_parameter_and_is_not_checkpointed()
    {
        var dir = Directory.CreateTempSubdirectory("descent-diverge-");
        try
        {
            string path = Path.Combine(dir.FullName, "run.ckpt");
            var trainer = Build(spikeStep: 2 * Batches, path); // epoch 2's last step
            var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(), epochs: 2));
            Assert.Equal(2, e.Epoch);
            Assert.Equal(Batches, e.Batch);
            Assert.Equal("weight", e.Parameter);
            Assert.StartsWith("training diverged: parameter 'weight' (shape [1, 3]) is not finite at the end of epoch 2 (after batch 4): 3 of 3 elements not finite, the first ", e.Message, StringComparison.Ordinal);
            Assert.EndsWith("; lower the learning rate or check the inputs", e.Message, StringComparison.Ordinal);
            Assert.True(double.IsFinite(e.Loss)); // the epoch's training loss: every batch was fine before its step
            Assert.Equal(1, trainer.CompletedEpochs);
            Assert.Single(trainer.History);

            // The checkpoint is epoch 1's, with finite weights.
            var resumed = Build(spikeStep: 0);
            resumed.ResumeFrom(path);
            Assert.Equal(1, resumed.CompletedEpochs);
            Assert.All(resumed.Model.Parameters(), p => Assert.All(p.ToArray<float>(), v => Assert.True(float.IsFinite(v))));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_divergence_at_the_end_of_an_earlier_epoch_stops_there()
    {
        var trainer = Build(spikeStep: Batches); // epoch 1's last step: epoch 2's first loss would be infinite too
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(), epochs: 3));
        Assert.Equal(1, e.Epoch);
        Assert.Equal("weight", e.Parameter);
        Assert.Empty(trainer.History);
    }

    [Fact]
    public void A_validation_loss_that_is_not_finite_stops_the_run_at_the_end_of_its_epoch()
    {
        var trainer = Build(spikeStep: 0);
        var x = Tensor.FromArray(new[] { 1e30f, 0, 0, 1, 1, 1 }, [2, 3]); // its square overflows float32
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(), epochs: 2, [(x, Tensor.Zeros([2, 1]))]));
        Assert.Equal(1, e.Epoch);
        Assert.Null(e.Parameter);
        Assert.Equal(double.PositiveInfinity, e.Loss);
        Assert.Equal("training diverged: the validation loss became Infinity at the end of epoch 1 (after batch 4); lower the learning rate or check the inputs", e.Message);
    }

    [Fact]
    public void Skipping_non_finite_steps_cannot_mend_non_finite_weights()
    {
        var model = new Linear(3, 1, generator: new Generator(1));
        var skip = new SkipNonFinite(new SGD(model.Parameters(), lr: 1e-3), maxConsecutiveSkips: 100);
        var trainer = Build(spikeStep: 2 * Batches, optimizer: skip, model: model);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(), epochs: 2));
        Assert.Equal(2, e.Epoch);
        Assert.Equal("weight", e.Parameter);
        Assert.Equal(0, skip.SkippedSteps); // the step's gradient was finite: only its result was not
    }

    [Fact]
    public void Skipping_every_batch_of_an_epoch_is_not_divergence()
    {
        var model = new Linear(3, 1, generator: new Generator(1));
        var skip = new SkipNonFinite(new SGD(model.Parameters(), lr: 1e-3), maxConsecutiveSkips: 100);
        int calls = 0;
        var trainer = new Trainer(model, skip, (y, t) => F.MseLoss(y, t) * (++calls <= Batches ? double.NaN : 1.0));
        var history = trainer.Fit(Loader(), epochs: 2);
        Assert.True(double.IsNaN(history[0].TrainLoss)); // every batch of epoch 1 skipped, as SkipNonFinite promises
        Assert.True(double.IsFinite(history[1].TrainLoss));
        Assert.Equal(Batches, skip.SkippedSteps);
    }

    [Fact]
    public void Data_parallel_training_checks_the_end_of_its_epochs_too()
    {
        var model = new Linear(3, 1, generator: new Generator(1));
        using var parallel = new DistributedDataParallel(model, shards: 2);
        var trainer = Build(spikeStep: 2 * Batches, model: model, parallel: parallel);
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Loader(), epochs: 2));
        Assert.Equal(2, e.Epoch);
        Assert.Equal(Batches, e.Batch);
        Assert.Equal("weight", e.Parameter);
    }
}
