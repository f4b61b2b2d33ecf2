using Descent.NN;

namespace Descent.Training;

/// <summary>Helpers for stochastic weight averaging, as PyTorch's <c>torch.optim.swa_utils</c>.</summary>
public static class SwaUtils
{
    /// <summary>
    /// Recomputes the running statistics of every <see cref="BatchNorm"/> layer of <paramref name="model"/> over one pass of
    /// <paramref name="loader"/>'s inputs (the targets are ignored), as <c>torch.optim.swa_utils.update_bn</c>: typically for
    /// averaged weights, whose statistics the training batches never saw. Each layer's statistics are reset and its momentum
    /// set to null, so they become the cumulative average over the batches (the mean of the batch means and of the unbiased
    /// batch variances); the model runs in training mode without recording gradients. Afterwards every layer's momentum
    /// and the model's training flag are restored. A model without batch norm is left untouched.
    /// </summary>
    public static void UpdateBn(IEnumerable<(Tensor Input, Tensor Target)> loader, Module model)
    {
        ArgumentNullException.ThrowIfNull(loader);
        UpdateBn(loader.Select(batch => batch.Input), model);
    }

    /// <summary>
    /// Recomputes the running statistics of every <see cref="BatchNorm"/> layer of <paramref name="model"/> over one pass of
    /// <paramref name="inputs"/>, as <see cref="UpdateBn(IEnumerable{ValueTuple{Tensor, Tensor}}, Module)"/> does over a
    /// loader's inputs.
    /// </summary>
    public static void UpdateBn(IEnumerable<Tensor> inputs, Module model)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(model);
        var layers = BatchNormLayers(model).ToList();
        if (layers.Count == 0) return;
        var momenta = layers.Select(bn => bn.Momentum).ToArray();
        bool wasTraining = model.IsTraining;
        foreach (var bn in layers)
        {
            bn.ResetRunningStats();
            bn.Momentum = null;
        }
        try
        {
            model.Train();
            using (Autograd.NoGrad())
            {
                foreach (var input in inputs) model.Forward(input);
            }
        }
        finally
        {
            for (int i = 0; i < layers.Count; i++) layers[i].Momentum = momenta[i];
            model.Train(wasTraining);
        }
    }

    /// <summary>The model itself and every module below it that is a batch norm layer, in registration order.</summary>
    private static IEnumerable<BatchNorm> BatchNormLayers(Module module)
    {
        if (module is BatchNorm bn) yield return bn;
        foreach (var (_, child) in module.NamedChildren())
            foreach (var inner in BatchNormLayers(child)) yield return inner;
    }
}
