using System.Text.Json.Serialization;

namespace Descent.Training;

/// <summary>
/// The metadata types a checkpoint writes with <see cref="System.Text.Json.JsonSerializer"/>, generated at compile time so
/// that writing a checkpoint needs no reflection (an app published with NativeAOT or trimming writes the same bytes).
/// A plateau's best is infinite until its first step: written as "Infinity", which CheckpointMetadata reads back.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Dictionary<string, double[]>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class CheckpointJsonContext : JsonSerializerContext;
