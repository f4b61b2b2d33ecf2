using System.Reflection;
using Module = Descent.NN.Module;
using Descent.NN;

namespace Descent.IO;

/// <summary>
/// Exports a model to ONNX (opset 17, IR version 8), so that ONNX Runtime and the other ONNX tools can run it without
/// Descent. The export runs the model once on an example input in evaluation mode and writes the layers it went
/// through as ONNX operators, with the batch dimension symbolic ("batch"): the file accepts any batch size.
/// </summary>
/// <remarks>
/// Exported: <see cref="Linear"/>, <see cref="Conv2d"/>, <see cref="ReLU"/>, <see cref="LeakyReLU"/>, <see cref="Tanh"/>,
/// <see cref="Sigmoid"/>, <see cref="GELU"/> (exact or tanh), <see cref="SiLU"/>, <see cref="MaxPool2d"/>,
/// <see cref="AvgPool2d"/>, <see cref="Flatten"/>, <see cref="Unflatten"/>, <see cref="Dropout"/> (as in evaluation:
/// the identity), <see cref="LayerNorm"/>, <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (with running
/// statistics), <see cref="Softmax"/>, <see cref="LogSoftmax"/>, <see cref="Sequential"/>, and any other module whose
/// <see cref="Module.Forward"/> is its children applied in registration order (checked on the example input). The
/// model must be float32 (ONNX Runtime lacks float64 kernels for several of these operators; convert a float64 model
/// with <c>model.To(DType.Float32)</c>). The graph's input is named "input" and its output "output"; each weight is an
/// initializer named as in the state dict.
/// </remarks>
public static class Onnx
{
    /// <summary>Exports <paramref name="module"/> to the ONNX file <paramref name="path"/>, written atomically.</summary>
    /// <param name="module">The model. Its training flags are restored afterwards, even when the export fails.</param>
    /// <param name="exampleInput">A float32 batch the model accepts, its first dimension the batch.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="ArgumentException">The example input is not a float32 batch the model accepts, or the model is not float32.</exception>
    /// <exception cref="NotSupportedException">A module has no ONNX form; the message names its type and its path in the model.</exception>
    public static void Export(Module module, Tensor exampleInput, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = Build(module, exampleInput);
        AtomicFile.Write(path, model.WriteTo);
    }

    /// <summary>Exports <paramref name="module"/> as ONNX to <paramref name="stream"/>; see <see cref="Export(Module, Tensor, string)"/>.</summary>
    public static void Export(Module module, Tensor exampleInput, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Build(module, exampleInput).WriteTo(stream);
    }

    private static OnnxModel Build(Module module, Tensor exampleInput)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(exampleInput);
        return new OnnxModel(OnnxExporter.Trace(module, exampleInput), ProducerVersion());
    }

    /// <summary>The library's version, without the source revision the build appends after '+'.</summary>
    private static string ProducerVersion()
    {
        var assembly = typeof(Onnx).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
