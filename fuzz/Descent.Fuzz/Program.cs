using System.Globalization;
using System.Runtime.InteropServices;
using SharpFuzz;

namespace Descent.Fuzz;

/// <summary>
/// The fuzzing harness of Descent's readers (docs/reliability.md):
/// <c>fuzz &lt;target&gt;</c> serves afl-fuzz (SharpFuzz's out-of-process fork server; <c>DESCENT_FUZZ_IN_PROCESS=1</c>
/// for the in-process one), crashing on every input that breaks the contract;
/// <c>seed &lt;target&gt; &lt;dir&gt;</c> writes the seed corpus;
/// <c>replay &lt;target&gt; &lt;dir or file&gt;...</c> runs inputs and prints what the readers did.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: Descent.Fuzz fuzz <target>                  serve afl-fuzz (stdin input; a broken contract is a crash)
               Descent.Fuzz seed <target> <dir>            write the seed corpus of <target> into <dir>
               Descent.Fuzz replay <target> <dir|file>...  run every input, print exceptions and peak allocation
        """;

    private static int Main(string[] args)
    {
        if (args is [_, var name, ..] && !FuzzTargets.Names.Contains(name))
        {
            Console.Error.WriteLine($"unknown target '{name}'; the targets are {string.Join(", ", FuzzTargets.Names)}");
            return 2;
        }
        switch (args)
        {
            case ["fuzz", var target]:
                Fuzz(target);
                return 0;
            case ["seed", var target, var dir]:
                InstrumentationOff();
                return Seed(target, dir);
            case ["replay", var target, .. var paths] when paths.Length > 0:
                InstrumentationOff();
                return Replay(target, paths);
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private static void Fuzz(string target)
    {
        void Run(Stream stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            foreach (var call in FuzzTargets.Run(target, copy.ToArray()))
                if (call.Violation is string violation) throw new ContractViolationException(violation, call.Error);
        }
        if (Environment.GetEnvironmentVariable("DESCENT_FUZZ_IN_PROCESS") == "1") Fuzzer.Run(Run);
        else Fuzzer.OutOfProcess.Run(Run);
    }

    private static int Seed(string target, string dir)
    {
        Directory.CreateDirectory(dir);
        var seeds = Seeds.For(target);
        foreach (var (name, bytes) in seeds) File.WriteAllBytes(Path.Combine(dir, name), bytes);
        Console.WriteLine($"{target}: {seeds.Count} seed files, {seeds.Sum(s => s.Bytes.Length):N0} bytes, in {dir}");
        WorkFolder.Delete();
        return 0;
    }

    private static int Replay(string target, string[] paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal));
            else if (File.Exists(path)) files.Add(path);
            else
            {
                Console.Error.WriteLine($"replay: {path} is neither a file nor a folder");
                return 2;
            }
        }
        var types = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var messages = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        int calls = 0, loaded = 0;
        bool verbose = Environment.GetEnvironmentVariable("DESCENT_FUZZ_VERBOSE") == "1"; // every refusal's message
        (long Bytes, string File) peak = (0, "-");
        (double Ratio, string File) peakRatio = (0, "-");
        foreach (var file in files)
        {
            var results = FuzzTargets.Run(target, File.ReadAllBytes(file));
            foreach (var call in results)
            {
                calls++;
                if (call.Error is null) loaded++;
                else
                {
                    string type = call.Error.GetType().Name;
                    types[type] = types.GetValueOrDefault(type) + 1;
                    messages.Add(call.MessageWithoutPath!);
                    if (verbose) Console.WriteLine($"{Path.GetFileName(file)}: {call.Reader}: {type}: {call.Error.Message.ReplaceLineEndings(" ")}");
                }
                if (call.AllocatedBytes > peak.Bytes) peak = (call.AllocatedBytes, file);
                double ratio = (double)Math.Max(0, call.AllocatedBytes - AllocationBound.ConstantBytes) / Math.Max(1, call.InputBytes);
                if (ratio > peakRatio.Ratio) peakRatio = (ratio, file);
                if (call.Violation is string violation) problems.Add($"{file}: {violation}");
            }
            if (FuzzTargets.ExpectationFailure(Path.GetFileName(file), results) is string broken) problems.Add($"{file}: {broken}");
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine($"replay {target}: {files.Count} inputs, {calls} reader calls, {loaded} loaded, {calls - loaded} refused");
        Console.WriteLine($"  exceptions: {(types.Count == 0 ? "none" : string.Join(", ", types.Select(kv => $"{kv.Key} ×{kv.Value}")))}");
        Console.WriteLine($"  distinct exception types: {types.Count}; distinct messages (file path removed): {messages.Count}");
        Console.WriteLine(string.Create(c, $"  peak allocation: {peak.Bytes:N0} bytes ({peak.File})"));
        Console.WriteLine(string.Create(c, $"  peak (allocation - {AllocationBound.ConstantBytes:N0}) / input bytes: {peakRatio.Ratio:F1} ({peakRatio.File}); the bound's multiple is {AllocationBound.Multiple(target)}"));
        Console.WriteLine($"  broken promises: {problems.Count}");
        foreach (var p in problems) Console.WriteLine("    " + p.ReplaceLineEndings(" "));
        WorkFolder.Delete();
        return problems.Count == 0 ? 0 : 1;
    }

    // An assembly instrumented by sharpfuzz writes its coverage through this pointer; outside afl-fuzz it must point
    // somewhere (SharpFuzz sets it only under afl-fuzz). Harmless when nothing is instrumented.
    private static unsafe void InstrumentationOff() => SharpFuzz.Common.Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);
}
