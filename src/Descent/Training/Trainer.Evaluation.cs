using Descent.Data;
using Descent.NN;
using Descent.Optim;

namespace Descent.Training;

// Evaluation: the mean loss and accuracy without recording a graph, on the model's own weights or on the running
// average's, always at an ITrainEvalOptimizer's evaluation point.
public sealed partial class Trainer
{
    /// <summary>
    /// <see cref="Evaluate"/> with <see cref="Averaged"/>'s weights in the model (its own weights are back afterwards).
    /// <paramref name="prepare"/> runs first, on the model carrying the averaged weights: the place to recompute
    /// BatchNorm's running statistics for them.
    /// </summary>
    public (double Loss, double? Accuracy) EvaluateAveraged(IEnumerable<(Tensor Input, Tensor Target)> data, Action<Module>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Averaged is null) throw new InvalidOperationException("EvaluateAveraged needs Averaged, the running average of the weights");
        // The optimizer's switch moves the parameters it finds: it comes first and is undone last, around the swap, so
        // that it never moves the averaged weights.
        using var evaluationPoint = new OptimizerPoint(Optimizer, training: false);
        using (Averaged.SwapInto(Model))
        {
            prepare?.Invoke(Model);
            return Evaluate(data);
        }
    }

    /// <summary>
    /// The mean loss and (for classification with int64 targets) the accuracy on <paramref name="data"/>, in evaluation
    /// mode without recording a graph; an <see cref="ITrainEvalOptimizer"/> is at its evaluation point meanwhile and
    /// back at its training point afterwards if it was there.
    /// </summary>
    public (double Loss, double? Accuracy) Evaluate(IEnumerable<(Tensor Input, Tensor Target)> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = Model.IsTraining;
        using var evaluationPoint = new OptimizerPoint(Optimizer, training: false);
        Model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            double lossSum = 0;
            long samples = 0, correct = 0;
            bool classification = true;
            // A DataLoader's batches may come from each batch's scope (see DataLoader); any other sequence is read
            // before the scope begins, since it may keep what it yields.
            bool loader = data is DataLoader;
            using var batches = data.GetEnumerator();
            while (true)
            {
                if (!loader && !batches.MoveNext()) break;
                using var scope = new TensorScope();
                if (loader && !batches.MoveNext()) break;
                var (input, target) = batches.Current;
                var output = Model.Forward(input);
                int n = input.Size(0);
                lossSum += _loss(output, target).Item() * n;
                samples += n;
                var hits = CountCorrect(output, target);
                if (hits is null) classification = false;
                else correct += hits.Value;
            }
            if (samples == 0) throw new ArgumentException("the evaluation data is empty", nameof(data));
            return (lossSum / samples, classification ? (double)correct / samples : null);
        }
        finally
        {
            Model.Train(wasTraining);
        }
    }

    /// <summary>Correct predictions for [N, C] scores against int64 class targets [N]; null when that is not the task.</summary>
    private static long? CountCorrect(Tensor output, Tensor target)
    {
        if (target.DType != DType.Int64 || output.Rank != 2 || target.Rank != 1) return null;
        using var _ = Autograd.NoGrad();
        return (long)output.Detach().Argmax(1).Eq(target).Sum().Item();
    }

    /// <summary>
    /// Puts an <see cref="ITrainEvalOptimizer"/>'s training or evaluation point in the parameters until disposed, then
    /// the point it was at back; nothing for any other optimizer. Switches only when the mode changes.
    /// </summary>
    private readonly struct OptimizerPoint : IDisposable
    {
        private readonly ITrainEvalOptimizer? _optimizer;
        private readonly bool _wasTraining;

        public OptimizerPoint(Optimizer optimizer, bool training)
        {
            _optimizer = optimizer as ITrainEvalOptimizer;
            if (_optimizer is null) return;
            _wasTraining = _optimizer.IsTraining;
            Switch(_optimizer, training);
        }

        public void Dispose()
        {
            if (_optimizer is not null) Switch(_optimizer, _wasTraining);
        }

        private static void Switch(ITrainEvalOptimizer optimizer, bool training)
        {
            if (optimizer.IsTraining == training) return;
            if (training) optimizer.Train();
            else optimizer.Eval();
        }
    }
}
