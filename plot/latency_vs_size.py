#!/usr/bin/python3
"""Ping-pong round-trip latency against message size: one p50 line per
transport (and wait strategy), with a band (or whiskers) up to p99; in a
placement sweep, one line per transport and placement, a line style per
placement.

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


def make_figure(results, plt, series=None, p99="band"):
    """The figure and its file stem; raises PlotError if there is no data."""
    heads = results.select("pingpong", series)
    if not heads:
        raise cc.no_data(results, "pingpong benchmarks",
                         "run ipcbench with --scenarios=pingpong")
    styles = cc.series_styles(results.all_series())
    colours = cc.series_colours(results.all_series())
    variants = cc.variants_of(results, "pingpong")
    lines = variants.by_line(heads)
    fig, ax = plt.subplots(figsize=(cc.sweep_width(9, variants, len(lines)),
                                    5.6))
    for (s, label), group in lines.items():
        scale = UNITS[HEADLINE.unit].scale
        # Batch means have no p99: the band closes on p50 there.
        pts = sorted((h["message_bytes"], h[HEADLINE.key] * scale,
                      (h[HEADLINE.tail] if h[HEADLINE.tail] is not None
                       else h[HEADLINE.key]) * scale) for h in group)
        if any(h.get("batch_means") for h in group):
            label = f"{label} ({BATCH_MEANS} at some sizes)"
        x, p50, p99v = (list(v) for v in zip(*pts))
        st = variants.style(group[0], styles, colours)
        ax.plot(x, p50, label=label, markersize=4, **st)
        if p99 == "band":
            ax.fill_between(x, p50, p99v, color=st["color"], alpha=0.12,
                            linewidth=0)
            ax.plot(x, p99v, color=st["color"], linewidth=0.7, alpha=0.6,
                    linestyle=st["linestyle"])
        elif p99 == "whiskers":
            up = [b - a for a, b in zip(p50, p99v)]
            ax.errorbar(x, p50, yerr=[[0] * len(up), up], fmt="none",
                        ecolor=st["color"], capsize=3, alpha=0.7)
    cc.size_axis(ax, results.sizes("pingpong"))
    ax.set_yscale("log")
    cc.plain_log_axis(ax.yaxis)
    ax.set_ylabel(axis_label(HEADLINE, log=True, tail_as=None))
    shown = {"band": "line p50, shaded band up to p99",
             "whiskers": "line p50, whisker up to p99", "none": "p50"}[p99]
    ax.set_title(f"Ping-pong round-trip latency vs message size ({shown})")
    if variants.several:
        cc.sweep_legend(ax, len(lines), f"{variants.title()} (p50)")
    else:
        ax.legend(title="transport:wait (p50)",
                  ncol=2 if len(styles) > 6 else 1)
    cc.caption(fig, results, variants.key_text())
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
