using System.Text.Json;

namespace Descent.Cli.Tests;

/// <summary><c>descent train --export-onnx PATH</c>: the trained model goes to an ONNX file; a path it cannot write is a usage error.</summary>
public sealed class TrainExportOnnxCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("descent-cli-onnx-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void A_short_iris_run_writes_the_file_and_says_where()
    {
        string path = Path.Combine(_dir.FullName, "iris.onnx");

        var (code, output, err) = CliRunner.Run("train", "--dataset", "iris", "--model", "mlp", "--epochs", "1", "--export-onnx", path);

        Assert.True(code == 0, err);
        Assert.Contains("Exported the model to ONNX: " + path, output, StringComparison.Ordinal);
        byte[] file = File.ReadAllBytes(path);
        // The ModelProto starts with field 1, ir_version, a varint: 8.
        Assert.Equal(new byte[] { 0x08, 0x08 }, file[..2]);
        Assert.Empty(_dir.GetFiles("*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void The_json_output_names_the_file()
    {
        string path = Path.Combine(_dir.FullName, "iris.onnx");

        var (code, output, err) = CliRunner.Run("train", "--dataset", "iris", "--model", "linear", "--epochs", "1", "--json", "--export-onnx", path);

        Assert.True(code == 0, err);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(path, json.RootElement.GetProperty("onnx").GetString());
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void A_folder_or_a_missing_folder_is_a_one_line_usage_error_before_training()
    {
        var (code, output, err) = CliRunner.Run("train", "--dataset", "iris", "--epochs", "1", "--export-onnx", _dir.FullName);
        Assert.Equal(2, code);
        Assert.Contains("--export-onnx", err, StringComparison.Ordinal);
        Assert.Contains("is a folder", err, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch 1", output, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));

        string missing = Path.Combine(_dir.FullName, "no-such-folder", "model.onnx");
        (code, _, err) = CliRunner.Run("train", "--dataset", "iris", "--epochs", "1", "--export-onnx", missing);
        Assert.Equal(2, code);
        Assert.Contains("--export-onnx: the folder", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
    }
}
