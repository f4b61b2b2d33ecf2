namespace Descent.Plotting.Tests;

public class PathGeometryTests
{
    private static readonly PlotBox Box = new(-1, 1, -1, 1);

    [Fact]
    public void A_path_inside_the_picture_is_drawn_as_given()
    {
        var t = new Trajectory("GD", [0.5, 0.2, 0.1], [0.5, -0.2, 0.0]);
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, Box, "t");
        Assert.Equal(t.Xs, xs);
        Assert.Equal(t.Ys, ys);
    }

    [Fact]
    public void A_path_stops_before_the_first_non_finite_point()
    {
        var t = new Trajectory("GD", [0.5, 0.2, double.NaN, 0.1], [0.5, -0.2, 0.0, double.PositiveInfinity]);
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, Box, "t");
        Assert.Equal([0.5, 0.2], xs);
        Assert.Equal([0.5, -0.2], ys);
    }

    [Fact]
    public void A_diverging_path_ends_where_it_crosses_the_far_boundary()
    {
        // The far boundary lies three box widths beyond each side: x = 1 + 3·2 = 7.
        var t = new Trajectory("GD", [0, 1, 1e6, 3], [0, 0, 0, 0]);
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, Box, "t");
        Assert.Equal([0.0, 1.0, 7.0], xs);
        Assert.Equal([0.0, 0.0, 0.0], ys);
    }

    [Fact]
    public void A_diagonal_exit_stays_on_the_segment()
    {
        var t = new Trajectory("GD", [0, 100], [0, 50]);
        (double[] xs, double[] ys) = PathGeometry.Drawable(t, Box, "t");
        Assert.Equal(2, xs.Length);
        Assert.Equal(7.0, xs[1], 12);
        Assert.Equal(3.5, ys[1], 12);
    }

    [Fact]
    public void Mismatched_lengths_name_the_trajectory()
    {
        var ex = Assert.Throws<ArgumentException>(() => PathGeometry.Drawable(new Trajectory("Adam", [0, 1], [0]), Box, "trajectories"));
        Assert.Contains("'Adam' has 2 xs but 1 ys", ex.Message, StringComparison.Ordinal);
        Assert.Equal("trajectories", ex.ParamName);
    }
}
