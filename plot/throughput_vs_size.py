#!/usr/bin/python3
"""Stream throughput against message size: the headline figure (MB/s,
headlines.py) and messages/s in two panels, one line per transport (and
wait strategy); in a placement sweep, one line per transport and placement,
a line style per placement.

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


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data."""
    heads = results.select("stream", series)
    if not heads:
        raise cc.no_data(results, "stream benchmarks",
                         "run ipcbench with --scenarios=stream")
    styles = cc.series_styles(results.all_series())
    colours = cc.series_colours(results.all_series())
    variants = cc.variants_of(results, "stream")
    lines = variants.by_line(heads)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(
        cc.sweep_width(9, variants, len(lines)), 8))
    for (s, label), group in lines.items():
        pts = sorted((h["message_bytes"],
                      h[HEADLINE.key] * UNITS[HEADLINE.unit].scale,
                      h["msgs_per_s"]) for h in group)
        x, mbs, mps = (list(v) for v in zip(*pts))
        st = variants.style(group[0], styles, colours)
        top.plot(x, mbs, label=label, markersize=4, **st)
        bottom.plot(x, mps, label=label, markersize=4, **st)
    for ax, label in ((top, axis_label(HEADLINE, log=True)),
                      (bottom, "messages per second (log scale)")):
        ax.set_yscale("log")
        cc.plain_log_axis(ax.yaxis, si=ax is bottom)
        ax.set_ylabel(label)
    cc.size_axis(bottom, results.sizes("stream"))
    top.set_xlabel("")
    top.set_title("Stream throughput vs message size (one-way, "
                  "producer to consumer)")
    if variants.several:
        cc.sweep_legend(top, len(lines), variants.title())
    else:
        top.legend(title="transport:wait", ncol=2 if len(styles) > 6 else 1)
    cc.caption(fig, results, variants.key_text())
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
