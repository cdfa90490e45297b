#!/usr/bin/python3
"""Fan-in (N producer processes, one consumer): aggregate messages/s the
consumer received against the number of producers, one line per transport
(and wait strategy), with the fairness between producers below it (Jain's
index, and the smallest and largest producer's share); one column per
message size.

    /usr/bin/python3 plot/fanin_throughput.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES

STEM = "fanin_throughput"
HEADLINE = HEADLINES["fanin"]  # messages/s, all producers together
FIELDS = ("producers", HEADLINE.key, "jain_index", "min_share", "max_share")


def fanin_points(results, series=None):
    """{size: {(series, label): [point, ...]}}, points by number of
    producers; each point holds the file's producers, msgs_per_s (all
    producers together), jain_index, min_share and max_share."""
    out = {}
    several = len(results.placements("fanin")) > 1
    for size in results.sizes("fanin"):
        lines = {key: sorted(({k: h[k] for k in FIELDS} for h in group),
                             key=lambda p: p["producers"])
                 for key, group in cc.by_line(
                     results.select("fanin", series, size), several).items()}
        if lines:
            out[size] = lines
    return out


def cpus_available(results):
    """CPUs the run could use: its affinity mask, else the CPUs online."""
    env = results.environment
    return len(env.get("affinity_cpus") or []) or env.get("cpus_online")


def count_axis(ax, counts):
    """x axis of process counts (producers, consumers): log 2, ticked at
    the counts."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlim(min(counts) / 1.4, max(counts) * 1.4)


def shade_oversubscribed(column, counts, cpus):
    """Grey from the first count (producers, or fan-out's consumers) with
    more processes (the count + the one consumer or producer) than CPUs;
    returns whether anything was shaded."""
    over = [n for n in counts if cpus and n + 1 > cpus]
    for ax in column:
        if over:
            ax.axvspan(min(over) / 1.2, max(counts) * 1.4, color="#999999",
                       alpha=0.12, linewidth=0)
    return bool(over)


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data."""
    points = fanin_points(results, series)
    if not points:
        raise cc.no_data(results, "fanin benchmarks",
                         "run ipcbench with --scenarios=fanin")
    styles = cc.series_styles(results.all_series())
    n = len(points)
    fig, grid = plt.subplots(3, n, squeeze=False, sharex="col", sharey="row",
                             figsize=(4.6 * n + 4.0, 10.5),
                             gridspec_kw={"height_ratios": (2, 1, 1.3)})
    cpus = cpus_available(results)
    shaded = False
    for col, (size, lines) in enumerate(points.items()):
        top, mid, bottom = grid[0][col], grid[1][col], grid[2][col]
        counts = sorted({p["producers"] for pts in lines.values()
                         for p in pts})
        offsets = {key: 1.06 ** (i - (len(lines) - 1) / 2)
                   for i, key in enumerate(lines)}
        for (s, label), pts in lines.items():
            st = styles[s]
            x = [p["producers"] for p in pts]
            top.plot(x, [p[HEADLINE.key] for p in pts], label=label,
                     markersize=5, **st)
            mid.plot(x, [p["jain_index"] for p in pts], markersize=5, **st)
            xs = [v * offsets[(s, label)] for v in x]
            bottom.vlines(xs, [p["min_share"] for p in pts],
                          [p["max_share"] for p in pts], color=st["color"],
                          linewidth=2)
            bottom.plot(xs, [p["min_share"] for p in pts], linestyle="",
                        marker="v", color=st["color"], markersize=5)
            bottom.plot(xs, [p["max_share"] for p in pts], linestyle="",
                        marker="^", color=st["color"], markersize=5)
        bottom.plot(counts, [1 / c for c in counts], linestyle="",
                    marker="_", markersize=22, color="#333333",
                    markeredgewidth=1.5, label="fair share 1/N")
        shaded |= shade_oversubscribed((top, mid, bottom), counts, cpus)
        count_axis(bottom, counts)
        top.set_title(f"{cc.fmt_bytes(size)} messages")
        top.set_yscale("log")
        cc.plain_log_axis(top.yaxis, si=True, minor=True)
        mid.set_ylim(0, 1.05)
        bottom.set_ylim(0, 1.05)
        bottom.set_xlabel("producers (log scale)")
    grid[0][0].set_ylabel("messages/s received, all\nproducers together "
                          "(log scale)")
    grid[1][0].set_ylabel("Jain's fairness index\n(1 = equal shares)")
    grid[2][0].set_ylabel("share of messages:\nsmallest \u25bc to largest "
                          "\u25b2 producer")
    several = len(results.placements("fanin")) > 1
    cc.outside_legend(grid[0][-1], title="transport:wait"
                      + (", placement" if several else ""))
    cc.outside_legend(grid[2][-1])
    fig.suptitle("Fan-in: aggregate throughput and fairness against the "
                 "number of producers")
    note = "each point is one run with N producer processes and one consumer"
    if shaded:
        note += (f"; grey: more processes (producers + consumer) than the "
                 f"{cpus} CPUs the run could use, so they time-share CPUs")
    cc.caption(fig, results, note)
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
