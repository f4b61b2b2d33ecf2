namespace Descent.Plotting;

/// <summary>The page's inline style sheet: one readable column, figures at full width, quiet tables.</summary>
internal static class ReportStyle
{
    public const string Css = """
        :root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --rule: #dcdfe4; --accent: #1f5fa8; --soft: #f6f7f9; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1040px; padding: 2rem 1.5rem 4rem; color: var(--ink); background: #fff;
               font: 16px/1.6 "DejaVu Sans", "Segoe UI", system-ui, -apple-system, Helvetica, Arial, sans-serif; }
        header { border-bottom: 2px solid var(--rule); margin-bottom: 1.5rem; }
        h1 { font-size: 2rem; margin: 0 0 .5rem; }
        h2 { font-size: 1.45rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--rule); }
        h3 { font-size: 1.2rem; margin: 2rem 0 .5rem; }
        h4 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
        p { margin: .6rem 0; }
        .intro { font-size: 1.1rem; color: var(--muted); }
        a { color: var(--accent); }
        nav { background: var(--soft); border: 1px solid var(--rule); border-radius: 8px; padding: .75rem 1.25rem; }
        nav h2 { font-size: 1.05rem; margin: 0 0 .25rem; border: 0; padding: 0; }
        nav ol { margin: 0; padding-left: 1.4rem; columns: 2; column-gap: 2rem; }
        figure { margin: 1.25rem 0; text-align: center; }
        figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 6px; }
        figcaption { color: var(--muted); font-size: .92rem; margin-top: .35rem; }
        figcaption a.svg { font-size: .8rem; margin-left: .4rem; }
        .row { display: flex; flex-wrap: wrap; gap: 1rem; }
        .row figure { flex: 1 1 420px; min-width: 0; }
        .side { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
        .side > div { flex: 1 1 360px; min-width: 0; }
        .table { overflow-x: auto; margin: 1rem 0; }
        table { border-collapse: collapse; width: 100%; font-size: .95rem; }
        caption { text-align: left; color: var(--muted); padding-bottom: .4rem; }
        th, td { padding: .4rem .7rem; border-bottom: 1px solid var(--rule); text-align: left; white-space: nowrap; }
        th { background: var(--soft); font-weight: 600; }
        tbody tr:nth-child(even) { background: #fbfbfc; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .swatch { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .45em; vertical-align: -.05em; }
        pre { background: var(--soft); border: 1px solid var(--rule); border-radius: 6px; padding: .75rem 1rem; overflow-x: auto; }
        code { font-family: "DejaVu Sans Mono", Consolas, Menlo, monospace; font-size: .92rem; }
        footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--rule); color: var(--muted); font-size: .85rem; }
        """;
}
