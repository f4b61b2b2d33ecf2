using Descent.Optim;
using Descent.Training;
using F = Descent.NN.Functional;
using Setup = Descent.Tests.Training.TrainerAccumulationTests;

namespace Descent.Tests.Training;

/// <summary>
/// The Trainer with a <see cref="SkipNonFinite"/> optimizer: a batch whose loss is not finite is skipped (no step, the
/// parameters unchanged) instead of stopping training, the epoch's loss is the mean of the finite batches, and the
/// wrapper's limit of skips in a row still stops a run that keeps diverging.
/// </summary>
[Collection(DefaultGeneratorCollection.Name)]
public class TrainerSkipNonFiniteTests
{
    [Fact]
    public void A_non_finite_batch_is_skipped_and_training_goes_on()
    {
        var data = Setup.Data(50);
        var model = Setup.Mlp();
        var skip = new SkipNonFinite(Setup.Sgd(model), maxConsecutiveSkips: 2);
        int calls = 0;
        var weights = new List<double[]>();
        var losses = new List<double>();
        var trainer = new Trainer(model, skip, (y, t) => F.CrossEntropy(y, t) * (++calls == 3 ? double.NaN : 1.0))
        {
            BatchEnded = b =>
            {
                weights.Add(model.StateDict()["0.weight"].ToArray<double>());
                losses.Add(b.Loss);
            },
        };
        var history = trainer.Fit(Setup.Loader(data, 7), epochs: 2);
        Assert.Equal(1, skip.SkippedSteps);
        Assert.Equal(0, skip.ConsecutiveSkips);
        Assert.Equal(weights[1], weights[2]); // batch 3 changed nothing
        Assert.NotEqual(weights[2], weights[3]); // batch 4 stepped again
        Assert.True(double.IsNaN(losses[2]));
        // Batches of 7 over 50 samples: seven of 7 and one of 1; the NaN batch (7 samples) is left out of the mean.
        int[] sizes = [7, 7, 7, 7, 7, 7, 7, 1];
        double mean = Enumerable.Range(0, 8).Where(i => i != 2).Sum(i => losses[i] * sizes[i]) / (50 - 7);
        Assert.Equal(mean, history[0].TrainLoss, 12);
        Assert.True(double.IsFinite(history[1].TrainLoss));
    }

    [Fact]
    public void Skips_past_the_limit_stop_training()
    {
        var data = Setup.Data(50);
        var model = Setup.Mlp();
        var skip = new SkipNonFinite(Setup.Sgd(model), maxConsecutiveSkips: 2);
        int calls = 0;
        var trainer = new Trainer(model, skip, (y, t) => F.CrossEntropy(y, t) * (++calls >= 3 ? double.NaN : 1.0));
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(Setup.Loader(data, 7), epochs: 1));
        Assert.Contains("in a row", e.Message);
        Assert.Equal(2, skip.SkippedSteps);
    }

    [Fact]
    public void Without_the_wrapper_a_non_finite_loss_still_stops_at_its_batch()
    {
        var model = Setup.Mlp();
        int calls = 0;
        var trainer = new Trainer(model, Setup.Sgd(model), (y, t) => F.CrossEntropy(y, t) * (++calls == 3 ? double.NaN : 1.0));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(Setup.Loader(Setup.Data(50), 7), epochs: 1));
        Assert.Equal(3, e.Batch);
    }
}
