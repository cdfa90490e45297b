#!/usr/bin/python3
"""Ping-pong round-trip latency against message size: one panel per
transport family (families.py), one p50 line per transport (solid block,
dashed spin) with a band (or whiskers) up to p99, and each other family's
best transport as a thin grey line; in a placement sweep, one line per
transport and placement, a line style per placement.

    /usr/bin/python3 plot/latency_vs_size.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES, UNITS, axis_label
from ipcbench_results import BATCH_MEANS

STEM = "latency_vs_size"

HEADLINE = HEADLINES["pingpong"]  # p50, p99 beside it


def latency_lines(results, series=None):
    """{(series, label): [(size, p50 ns, p99 ns), ...]} by size, as in the
    file: one line per transport:wait, and per placement ("pipe:block, same")
    when the run swept several (cc.Variants)."""
    variants = cc.variants_of(results, "pingpong")
    return {key: sorted((h["message_bytes"], h[HEADLINE.key],
                         h[HEADLINE.tail]) for h in heads)
            for key, heads in variants.by_line(
                results.select("pingpong", series)).items()}


def _points(group):
    """{size: p50 ns} of a line."""
    return {h["message_bytes"]: h[HEADLINE.key] for h in group}


def _y_ticks(ax):
    """Labels at 1, 2 and 5 of each decade (rows share the axis; a family
    row spanning less than a decade still gets labels), plain numbers."""
    from matplotlib.ticker import LogLocator, NullFormatter
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    cc.plain_log_axis(ax.yaxis)
    ax.yaxis.set_minor_formatter(NullFormatter())


def make_figure(results, plt, series=None, p99="band"):
    """The figure and its file stem; raises PlotError if there is no data.
    One panel per transport family (families.py), the same axes in each;
    in every panel each other family's best line, thin and grey."""
    heads = results.select("pingpong", series)
    if not heads:
        raise cc.no_data(results, "pingpong benchmarks",
                         "run ipcbench with --scenarios=pingpong")
    styles = cc.series_styles(results.all_series(), by_family=True)
    colours = cc.series_colours(results.all_series(), by_family=True)
    variants = cc.variants_of(results, "pingpong")
    panels = cc.by_family(variants.by_line(heads))
    best = cc.family_references(panels, _points, HEADLINE.higher_is_better)
    entries = max(len(lines) for _, lines in panels) + len(best) - 1
    fig, grid = cc.family_grid(plt, len(panels), 1, entries, panel=(8, 4.4),
                               sharex=True, sharey=True)
    scale = UNITS[HEADLINE.unit].scale
    all_lines = {k: g for _, lines in panels for k, g in lines.items()}
    for (family, lines), (ax,) in zip(panels, grid):
        for (s, label), group in lines.items():
            # Batch means have no p99: the band closes on p50 there.
            pts = sorted((h["message_bytes"], h[HEADLINE.key] * scale,
                          (h[HEADLINE.tail] if h[HEADLINE.tail] is not None
                           else h[HEADLINE.key]) * scale) for h in group)
            if any(h.get("batch_means") for h in group):
                label = f"{label} ({BATCH_MEANS} at some sizes)"
            x, p50, p99v = (list(v) for v in zip(*pts))
            st = variants.style(group[0], styles, colours)
            ax.plot(x, p50, label=label, markersize=4, **st)
            if p99 == "band":  # fainter the more bands overlap
                ax.fill_between(x, p50, p99v, color=st["color"],
                                alpha=0.12 if len(lines) <= 6 else 0.05,
                                linewidth=0)
                ax.plot(x, p99v, color=st["color"], linewidth=0.7, alpha=0.6,
                        linestyle=st["linestyle"])
            elif p99 == "whiskers":
                up = [b - a for a, b in zip(p50, p99v)]
                ax.errorbar(x, p50, yerr=[[0] * len(up), up], fmt="none",
                            ecolor=st["color"], capsize=3, alpha=0.7)
        for other, key in best.items():
            if other != family:
                group = all_lines[key]
                x, y = zip(*sorted(_points(group).items()))
                cc.draw_reference(ax, other, key[1], x,
                                  [v * scale for v in y], variants.style(
                                      group[0], styles, colours)["linestyle"])
        cc.size_axis(ax, results.sizes("pingpong"))
        ax.set_yscale("log")
        _y_ticks(ax)
        ax.set_ylabel(axis_label(HEADLINE, log=True, tail_as=None))
        ax.set_title(family.title, loc="left", fontsize=10,
                     fontweight="bold")
        title = (f"{variants.title()} (p50)" if variants.several
                 else "transport:wait (p50)")
        cc.family_legend(ax, title)
    for (ax,) in grid[:-1]:
        ax.set_xlabel("")
    shown = {"band": "line p50, shaded band up to p99",
             "whiskers": "line p50, whisker up to p99", "none": "p50"}[p99]
    fig.suptitle(f"Ping-pong round-trip latency vs message size ({shown})")
    cc.caption(fig, results, "; ".join(t for t in (
        variants.key_text(), cc.family_key_text(len(panels) > 1)) if t))
    return fig, STEM


def main(argv=None):
    p = cc.parser(__doc__.split("\n\n")[0], STEM)
    p.add_argument("--p99", choices=("band", "whiskers", "none"),
                   default="band", help="how p99 is shown (default: band)")
    args = p.parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports, args.p99)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
