using System.Text.Json.Nodes;
using Descent.Plotting;

namespace Descent.Cli.Lab;

/// <summary>
/// What the report's interactive widgets read: an index naming each landscape's data and the theory's, then one
/// compressed blob per landscape (<see cref="LandscapePage"/>) and one for the theory (<see cref="TheoryStudy"/>). The
/// page never fetches anything: it all travels inside index.html.
/// </summary>
internal static class LabPage
{
    /// <summary>The explorer widget's id: landscapes, optimizers, sliders, arrows, small multiples, overlay and stability map.</summary>
    public const string Explorer = "explorer";

    /// <summary>The theory widget's id: the quadratic's closed form over Descent's iterates.</summary>
    public const string Theory = "theory";

    /// <summary>The page data for <paramref name="landscapes"/> (each run <paramref name="steps"/> steps) and, when given, the theory.</summary>
    public static IReadOnlyList<ReportData> Data(IReadOnlyList<LandscapeResult> landscapes, int steps, JsonObject? theory)
    {
        var index = new JsonArray();
        var data = new List<ReportData>();
        for (int i = 0; i < landscapes.Count; i++)
        {
            var f = landscapes[i].Function;
            string id = $"lab-data-{i}"; // the function's name may be a user's formula: the element id does not depend on it
            index.Add(new JsonObject { ["id"] = f.Name, ["title"] = LandscapePage.Title(f), ["data"] = id });
            data.Add(new ReportData(id, LandscapePage.Data(landscapes[i], steps).ToJsonString(), Compressed: true));
        }
        if (theory is not null) data.Add(new ReportData("lab-theory", theory.ToJsonString(), Compressed: true));
        var indexJson = new JsonObject { ["landscapes"] = index, ["theory"] = theory is null ? null : "lab-theory" };
        data.Insert(0, new ReportData("lab-index", indexJson.ToJsonString(), Compressed: false));
        return data;
    }
}
