#!/usr/bin/python3
"""Stream throughput against message size: the headline figure (MB/s,
headlines.py) and messages/s side by side, a row of panels per transport
family (families.py), one line per transport (solid block, dashed spin)
and each other family's best transport as a thin grey line; in a placement
sweep, one line per transport and placement, a line style per placement.

    /usr/bin/python3 plot/throughput_vs_size.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES, UNITS, axis_label

STEM = "throughput_vs_size"
HEADLINE = HEADLINES["stream"]


def throughput_lines(results, series=None):
    """{(series, label): [(size, bytes/s, messages/s), ...]} by size, as in
    the file: one line per transport:wait, and per placement ("pipe:block,
    same") when the run swept several (cc.Variants)."""
    variants = cc.variants_of(results, "stream")
    return {key: sorted((h["message_bytes"], h[HEADLINE.key],
                         h["msgs_per_s"]) for h in heads)
            for key, heads in variants.by_line(
                results.select("stream", series)).items()}


def _points(group):
    """{size: bytes/s} of a line."""
    return {h["message_bytes"]: h[HEADLINE.key] for h in group}


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data.
    A row per transport family (families.py): MB/s left, messages/s right,
    the same axes in every row; in every row each other family's best line,
    thin and grey."""
    heads = results.select("stream", series)
    if not heads:
        raise cc.no_data(results, "stream benchmarks",
                         "run ipcbench with --scenarios=stream")
    styles = cc.series_styles(results.all_series(), by_family=True)
    colours = cc.series_colours(results.all_series(), by_family=True)
    variants = cc.variants_of(results, "stream")
    panels = cc.by_family(variants.by_line(heads))
    best = cc.family_references(panels, _points, HEADLINE.higher_is_better)
    entries = max(len(lines) for _, lines in panels) + len(best) - 1
    fig, grid = cc.family_grid(plt, len(panels), 2, entries, panel=(5, 3.8),
                               sharex=True, sharey="col")
    all_lines = {k: g for _, lines in panels for k, g in lines.items()}
    scale = UNITS[HEADLINE.unit].scale

    def values(group):
        pts = sorted((h["message_bytes"], h[HEADLINE.key] * scale,
                      h["msgs_per_s"]) for h in group)
        return (list(v) for v in zip(*pts))
    for (family, lines), (left, right) in zip(panels, grid):
        for (s, label), group in lines.items():
            x, mbs, mps = values(group)
            st = variants.style(group[0], styles, colours)
            left.plot(x, mbs, label=label, markersize=4, **st)
            right.plot(x, mps, label=label, markersize=4, **st)
        for other, key in best.items():
            if other != family:
                group = all_lines[key]
                x, mbs, mps = values(group)
                dash = variants.style(group[0], styles, colours)["linestyle"]
                cc.draw_reference(left, other, key[1], x, mbs, dash)
                cc.draw_reference(right, other, key[1], x, mps, dash)
        for ax, label in ((left, axis_label(HEADLINE, log=True)),
                          (right, "messages per second (log scale)")):
            ax.set_yscale("log")
            cc.plain_log_axis(ax.yaxis, si=ax is right)
            ax.set_ylabel(label)
            cc.size_axis(ax, results.sizes("stream"))
        left.set_title(family.title, loc="left", fontsize=10,
                       fontweight="bold")
        cc.family_legend(right, variants.title() if variants.several
                         else "transport:wait")
    for row in grid[:-1]:
        for ax in row:
            ax.set_xlabel("")
    fig.suptitle("Stream throughput vs message size (one-way, producer to "
                 "consumer): MB/s left, messages/s right")
    cc.caption(fig, results, "; ".join(t for t in (
        variants.key_text(), cc.family_key_text(len(panels) > 1)) if t))
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
