#!/usr/bin/python3
"""Placement side by side: for every scenario the run measured under more
than one placement (--placement=same,cross,A:B), grouped bars of its headline
figure (headlines.py; a whisker to the figure shown beside it, p99, where
the scenario has one), one group per transport (and wait strategy), one bar
per placement, one panel per scenario and message size.

    /usr/bin/python3 plot/placement_compare.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES, UNITS, axis_label
from ipcbench_results import cpus_text

STEM = "placement_compare"
TITLES = {"pingpong": "Ping-pong", "oneway": "One-way", "stream": "Stream",
          "rate": "Rate", "fanin": "Fan-in"}
COLOURS = ("#6a51a3", "#41ab5d", "#d94801", "#2171b5", "#969696", "#e7298a")
LOG_SPREAD = 30  # log value axis when a panel's values span more than this


def variant(h):
    """The x group of a headline: transport:wait, with its offered rate or
    number of producers where the scenario has one."""
    label = h["series"]
    if h["offered_per_s"] is not None:
        label += f"\n{cc.fmt_rate(h['offered_per_s']).replace(' ', '')}/s"
    if h["producers"] is not None:
        label += f"\n{h['producers']} producers"
    return label


def compared_scenarios(results):
    """Scenarios with successful benchmarks under more than one placement."""
    scenarios = dict.fromkeys(h["scenario"] for h in results.select())
    return [s for s in scenarios
            if s in HEADLINES and len(results.placements(s)) > 1]


def placement_values(results, series=None):
    """{scenario: {size: {variant: {placement: (value, whisker)}}}} of the
    variants measured under more than one placement, values as in the file
    (ns or per s; whisker None where the scenario has none)."""
    out = {}
    for scenario in compared_scenarios(results):
        key, whisker = HEADLINES[scenario].key, HEADLINES[scenario].tail
        for size in results.sizes(scenario):
            heads = sorted(results.select(scenario, series, size), key=lambda
                           h: (h["series"], h["offered_per_s"] or 0,
                               h["producers"] or 0))
            groups = {}
            for h in heads:
                if h[key] is not None:
                    groups.setdefault(variant(h), {})[h["placement"]] = (
                        h[key], h[whisker] if whisker else None)
            groups = {k: v for k, v in groups.items() if len(v) > 1}
            if groups:
                out.setdefault(scenario, {})[size] = groups
    return out


def placement_legend(results):
    """placement label -> legend text naming its CPUs."""
    out = {}
    for h in results.select():
        # The memcpy baseline has no peer (peer CPU -1): it names no
        # placement's CPUs.
        if h["scenario"] == "memcpy":
            continue
        if h["placement"] not in out:
            cpus = ("" if h["placement"] == "unpinned" else
                    f" ({cpus_text(h)})")
            out[h["placement"]] = h["placement"] + cpus
    return out


def _panel(ax, groups, placements, scale):
    """Grouped bars; returns whether the value axis is logarithmic."""
    width = 0.8 / len(placements)
    values, tops = [], []
    for gi, by_place in enumerate(groups.values()):
        for pi, place in enumerate(placements):
            if place not in by_place:
                continue
            value, whisker = (v * scale if v is not None else None
                              for v in by_place[place])
            x = gi - 0.4 + width * (pi + 0.5)
            ax.bar(x, value, width * 0.92, color=COLOURS[pi % len(COLOURS)])
            values.append(value)
            tops.append(whisker or value)
            if whisker is not None:
                ax.vlines(x, value, whisker, color="#333333", linewidth=1)
                ax.plot([x], [whisker], "_", color="#333333", markersize=8)
        group = [v for v, _ in by_place.values()]
        if min(group) > 0:
            ax.annotate(f"\u00d7{max(group) / min(group):.1f}", (gi, max(
                w or v for v, w in by_place.values()) * scale),
                xytext=(0, 4), textcoords="offset points", ha="center",
                va="bottom", fontsize=8)
    log = max(tops) / max(min(values), 1e-12) > LOG_SPREAD
    if log:
        ax.set_yscale("log")
        ax.set_ylim(min(values) / 2, max(tops) * 3)
    else:
        ax.set_ylim(0, max(tops) * 1.15)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(list(groups), fontsize=8,
                       rotation=30 if len(groups) > 4 else 0,
                       ha="right" if len(groups) > 4 else "center")
    ax.grid(axis="x", visible=False)
    return log


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data."""
    from matplotlib.patches import Patch
    data = placement_values(results, series)
    if not data:
        raise cc.no_data(results, "benchmarks measured under more than one "
                         "placement",
                         "run ipcbench with --placement=same,cross")
    shown = {p for sizes in data.values() for groups in sizes.values()
             for by_place in groups.values() for p in by_place}
    placements = [p for p in results.placements() if p in shown]
    nrows = len(data)
    ncols = max(len(sizes) for sizes in data.values())
    groups_max = max(len(g) for sizes in data.values() for g in sizes.values())
    panel_w = max(4.2, 0.35 * groups_max * len(placements) + 1.5)
    fig, grid = plt.subplots(nrows, ncols, squeeze=False, figsize=(
        panel_w * ncols + 3.6, 3.9 * nrows + 1.2))
    first_row = []
    for r, (scenario, sizes) in enumerate(data.items()):
        scale = UNITS[HEADLINES[scenario].unit].scale
        label = axis_label(HEADLINES[scenario])
        for c in range(ncols):
            ax = grid[r][c]
            if c >= len(sizes):
                fig.delaxes(ax)
                continue
            size, groups = list(sizes.items())[c]
            if r == 0:
                first_row.append(ax)
            log = _panel(ax, groups, placements, scale)
            if log or scale == 1:  # (the formatter suits linear axes too)
                cc.plain_log_axis(ax.yaxis, si=scale == 1, minor=log)
            ax.set_title(f"{TITLES[scenario]}, {cc.fmt_bytes(size)} messages",
                         fontsize=10)
            ax.set_ylabel(label + (", log scale" if log else ""), fontsize=9)
    legend = placement_legend(results)
    handles = [Patch(color=COLOURS[i % len(COLOURS)], label=legend[p])
               for i, p in enumerate(placements)]
    cc.outside_legend(first_row[-1], handles=handles, title="placement")
    fig.suptitle("Placement side by side: the same benchmarks with the two "
                 "sides pinned differently")
    cc.caption(fig, results, "\u00d7N above a group: its largest value over "
               "its smallest across placements; compare transports within "
               "one placement only")
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
