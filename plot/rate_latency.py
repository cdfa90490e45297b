#!/usr/bin/python3
"""Latency under load (rate scenario): p50 and p99 latency from each
message's intended send time against the offered rate (against the offered
load in percent of each transport's own stream capacity for a run of
--rate=10%,50%,90%, the default), one colour per
transport (and wait strategy), a row of panels per transport family
(families.py) with each other family's best transport as a thin grey
line, one column per message size. Hollow markers:
the sender fell behind (missed slots, or under 95 % of the offered rate).

    /usr/bin/python3 plot/rate_latency.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
import families
from headlines import HEADLINES, UNITS

STEM = "rate_latency"
HEADLINE = HEADLINES["rate"]  # p50, p99 beside it
SUSTAINED = 0.95  # achieved/offered below this counts as falling behind
BEHIND_TEXT = ("hollow marker: the sender fell behind (missed slots > 0, or "
               f"achieved < {SUSTAINED:.0%} of offered)")


def fell_behind(h):
    """True if the sender missed slots or did not reach 95 % of the offered
    rate (both figures as recorded in the file)."""
    return bool(h["missed_slots"]) or (
        h["achieved_per_s"] is not None
        and h["achieved_per_s"] < SUSTAINED * h["offered_per_s"])


def rate_points(results, series=None):
    """{size: {(series, label): [point, ...]}}, points by offered rate; each
    point holds the file's offered_per_s, offered_percent (None for an
    absolute rate), achieved_per_s, missed_slots, p50_ns and p99_ns, whether
    the sender fell behind, and "x": its percentage when every point has
    one, else its offered rate."""
    out = {}
    several = len(results.placements("rate")) > 1
    for size in results.sizes("rate"):
        heads = results.select("rate", series, size)
        lines = {}
        for key, group in cc.by_line(heads, several).items():
            lines[key] = sorted((dict({k: h.get(k) for k in (
                "offered_per_s", "offered_percent", "achieved_per_s",
                "missed_slots", HEADLINE.key, HEADLINE.tail)},
                behind=fell_behind(h)) for h in group),
                key=lambda p: p["offered_per_s"])
        if lines:
            out[size] = lines
    points = [p for lines in out.values() for pts in lines.values()
              for p in pts]
    percent = bool(points) and all(p["offered_percent"] is not None
                                   for p in points)
    for p in points:
        p["x"] = p["offered_percent"] if percent else p["offered_per_s"]
    return out


def by_percent(points):
    """True when the points are percentages of capacity (--rate=50%)."""
    return all(p["offered_percent"] is not None for lines in points.values()
               for pts in lines.values() for p in pts)


def _rate_axis(ax, rates, percent=False):
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    if percent:
        ax.set_xlim(0, 105)
        ax.xaxis.set_major_locator(FixedLocator(rates))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        return
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(rates))
    ax.xaxis.set_minor_formatter(NullFormatter())
    cc.plain_log_axis(ax.xaxis, si=True)


def _key_handles():
    """What the line styles and markers mean, for the first row's legend."""
    from matplotlib.lines import Line2D
    return [Line2D([], [], color="#444444", label="p50"),
            Line2D([], [], color="#444444", linestyle="--", label="p99"),
            Line2D([], [], color="#444444", marker="o", linestyle="",
                   label="kept up with the offered rate"),
            Line2D([], [], color="#444444", marker="o", linestyle="",
                   markerfacecolor="white",
                   label="fell behind (missed slots or < 95 % of offered)")]


def _legend(ax, colours, labels, several_placements, markers, key):
    """A family row's legend: its lines, the other families' reference
    lines, and (first row) what solid, dashed and hollow mean."""
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=colours[s], marker=markers[label],
                      label=label) for s, label in labels]
    handles += [h for h in ax.get_legend_handles_labels()[0]
                if h.get_label().startswith(cc.REFERENCE_PREFIX)]
    if key:
        handles += _key_handles()
    title = "transport:wait" + (", placement" if several_placements else "")
    cc.family_legend(ax, title, handles=handles)


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data.
    A row of panels per transport family (families.py), a column per
    message size, the same axes everywhere; in each panel each other
    family's best line (p50), thin and grey."""
    points = rate_points(results, series)
    if not points:
        raise cc.no_data(results, "rate benchmarks",
                         "run ipcbench with --scenarios=rate "
                         "(and --rate=1K,10K,... for several offered rates)")
    colours = cc.series_colours(results.all_series(), by_family=True)
    styles = cc.series_styles(results.all_series(), by_family=True)
    labels = sorted({k for lines in points.values() for k in lines},
                    key=lambda k: k[1])
    placements = results.placements("rate")
    several = len(placements) > 1

    def marker(series_, label):
        if several:
            return cc.MARKERS[placements.index(label.rpartition(", ")[2])]
        return styles[series_]["marker"]
    markers = {label: marker(s, label) for s, label in labels}

    rows = families.group(labels, transport=lambda k: k[0])
    sizes = list(points)
    best = {}  # {size: {Family: key}}
    for size, lines in points.items():
        best[size] = {}
        for family, keys in rows:
            key = families.best_line(
                {k: {p["x"]: p[HEADLINE.key] for p in lines[k]}
                 for k in keys if k in lines}, HEADLINE.higher_is_better)
            if key is not None:
                best[size][family] = key
    entries = max(len(keys) for _, keys in rows) + len(rows) - 1 + 4
    fig, grid = cc.family_grid(plt, len(rows), len(sizes), entries,
                               panel=(5.2, 4.2), sharex=True, sharey=True)
    percent = by_percent(points)
    rates = sorted({p["x"] for lines in points.values()
                    for pts in lines.values() for p in pts})
    scale = UNITS[HEADLINE.unit].scale
    for r, ((family, keys), axes) in enumerate(zip(rows, grid)):
        for ax, size in zip(axes, sizes):
            lines = points[size]
            for s, label in [k for k in keys if k in lines]:
                pts = lines[(s, label)]
                for key, dash in ((HEADLINE.key, "-"),
                                  (HEADLINE.tail, "--")):
                    # A run too short for a p99 (fewer than 100 samples)
                    # has none: that point is left out, never drawn as 0.
                    have = [p for p in pts if p[key] is not None]
                    x = [p["x"] for p in have]
                    y = [p[key] * scale for p in have]
                    ax.plot(x, y, color=colours[s], linestyle=dash,
                            linewidth=1.4)
                    for xi, yi, p in zip(x, y, have):
                        ax.plot([xi], [yi], linestyle="",
                                marker=markers[label], markersize=6,
                                color=colours[s],
                                markerfacecolor="white" if p["behind"]
                                else colours[s])
            for other, (s, label) in best[size].items():
                if other != family:
                    pts = lines[(s, label)]
                    pts = [p for p in pts if p[HEADLINE.key] is not None]
                    cc.draw_reference(
                        ax, other, label, [p["x"] for p in pts],
                        [p[HEADLINE.key] * scale for p in pts])
            ax.set_yscale("log")
            cc.plain_log_axis(ax.yaxis, minor=True)
            _rate_axis(ax, rates, percent)
            ax.set_title(f"{family.title} · {cc.fmt_bytes(size)} "
                         "messages", fontsize=10)
            ax.set_xlabel(("offered load (% of each transport's own "
                           "stream capacity)" if percent else
                           "offered rate (messages/s, log scale)")
                          if r == len(rows) - 1 else "")
            ax.set_ylabel(f"{HEADLINE.quantity}\n"
                          f"({UNITS[HEADLINE.unit].axis}, log scale)"
                          if ax is axes[0] else "")
        _legend(axes[-1], colours, [k for k in labels if k in keys],
                several, markers, r == 0)
    fig.suptitle("Latency under load: p50 (solid) and p99 (dashed) against "
                 + ("offered load, percent of capacity" if percent
                    else "offered rate"))
    cc.caption(fig, results, "; ".join(t for t in (
        "latency = arrival at the receiver minus the scheduled send time; "
        + BEHIND_TEXT + ("; capacity = the transport's stream msgs/s at "
                         "that size, measured in the same run"
                         if percent else ""), cc.family_key_text(len(rows) > 1, "offered rates"))
        if t))
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
