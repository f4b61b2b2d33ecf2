using System.Reflection;
using System.Text.Json.Nodes;
using Descent.Optim;

namespace Descent.Tests.Schedulers;

/// <summary>
/// The optimizer a scheduler reference case names (Descent.Optim.{name}), over two parameter groups with the case's
/// learning rates. Its group constructor is called by reflection, the case's snake_case hyperparameters matched to the
/// camelCase parameters, so that every optimizer of the library can serve without a table here.
/// </summary>
internal static class ConformanceOptimizers
{
    public static Optimizer Create(string name, JsonObject hyperparameters, double[] groupLrs)
    {
        var type = typeof(Optimizer).Assembly.GetType("Descent.Optim." + name);
        if (type is null || type.IsAbstract || !typeof(Optimizer).IsAssignableFrom(type)) return StandIn(name, hyperparameters, groupLrs);
        var optionsType = OptionsType(type);
        var specType = typeof(ParamGroupSpec<>).MakeGenericType(optionsType);
        var ctor = type.GetConstructors().SingleOrDefault(c =>
        {
            var first = c.GetParameters().FirstOrDefault()?.ParameterType;
            return first is not null && first.IsAssignableFrom(specType.MakeArrayType());
        }) ?? throw new NotSupportedException($"{name} has no constructor over parameter groups");
        var groups = typeof(ConformanceOptimizers).GetMethod(nameof(Groups), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(optionsType).Invoke(null, [groupLrs])!;

        var parameters = ctor.GetParameters();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var args = new object?[parameters.Length];
        args[0] = groups;
        for (int i = 1; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var key = hyperparameters.Select(kv => kv.Key).FirstOrDefault(k => Same(k, p.Name!));
            if (key is null)
            {
                args[i] = p.HasDefaultValue ? p.DefaultValue : throw new NotSupportedException($"{name} needs {p.Name}, which the case does not give");
                continue;
            }
            used.Add(key);
            args[i] = Convert(hyperparameters[key], p.ParameterType, $"{name}.{key}");
        }
        var unknown = hyperparameters.Select(kv => kv.Key).Where(k => !used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new NotSupportedException($"{name} has no hyperparameter(s) {string.Join(", ", unknown)}");
        return (Optimizer)ctor.Invoke(args);
    }

    /// <summary>
    /// For an optimizer the library does not have (yet): a do-nothing optimizer whose momentum follows PyTorch's
    /// (SGD's and RMSprop's <c>momentum</c>, default 0; the Adam family's beta1, default 0.9; none for the others).
    /// </summary>
    private static FakeOptimizer StandIn(string name, JsonObject hyperparameters, double[] groupLrs)
    {
        double? momentum = name switch
        {
            "SGD" or "RMSprop" => hyperparameters["momentum"]?.GetValue<double>() ?? 0.0,
            "Adam" or "AdamW" or "Adamax" or "NAdam" or "RAdam" => hyperparameters["betas"]?[0]?.GetValue<double>() ?? 0.9,
            _ => null,
        };
        return FakeOptimizer.Create(groupLrs, momentum);
    }

    /// <summary>Each group's momentum (or beta1); NaN where the optimizer has none (the reference's null).</summary>
    public static double[] Momenta(Optimizer optimizer) =>
        optimizer.ParamGroups.Select(g => g.Options.Momentum ?? double.NaN).ToArray();

    private static ParamGroupSpec<TOptions>[] Groups<TOptions>(double[] groupLrs) where TOptions : OptimizerOptions =>
        groupLrs.Select(lr => new ParamGroupSpec<TOptions>([Tensor.Zeros([3], DType.Float64, requiresGrad: true)], o =>
        {
            o.Lr = lr; // o is already a copy of the defaults
            return o;
        })).ToArray();

    private static Type OptionsType(Type optimizer)
    {
        for (var t = optimizer; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Optimizer<>)) return t.GetGenericArguments()[0];
        throw new NotSupportedException($"{optimizer.Name} does not derive from Optimizer<TOptions>");
    }

    private static bool Same(string snake, string camel) =>
        string.Equals(snake.Replace("_", "", StringComparison.Ordinal), camel, StringComparison.OrdinalIgnoreCase);

    private static object? Convert(JsonNode? value, Type type, string what)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (value is null) return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? throw new NotSupportedException($"{what} is null") : null;
        if (t == typeof(double)) return value.GetValue<double>();
        if (t == typeof(int)) return value.GetValue<int>();
        if (t == typeof(bool)) return value.GetValue<bool>();
        if (t == typeof(ValueTuple<double, double>)) return (value[0]!.GetValue<double>(), value[1]!.GetValue<double>());
        throw new NotSupportedException($"{what}: cannot pass a JSON value as {type.Name}");
    }
}
