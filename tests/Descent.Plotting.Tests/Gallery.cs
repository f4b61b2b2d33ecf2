namespace Descent.Plotting.Tests;

/// <summary>A folder for the charts of a test, kept after the run so they can be looked at.</summary>
internal static class Gallery
{
    public static string Folder(string name)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "gallery", name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
