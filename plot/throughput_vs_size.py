#!/usr/bin/python3
"""Stream throughput against message size: MB/s and messages/s in two
panels, one line per transport (and wait strategy).

    /usr/bin/python3 plot/throughput_vs_size.py results/<stamp>/results.json
"""

import sys

import chart_common as cc

STEM = "throughput_vs_size"


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data."""
    heads = results.select("stream", series)
    if not heads:
        raise cc.no_data(results, "stream benchmarks",
                         "run ipcbench with --scenarios=stream")
    styles = cc.series_styles(results.all_series())
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 8))
    for s in sorted({h["series"] for h in heads}):
        pts = sorted((h["message_bytes"], h["bytes_per_second"] / 1e6,
                      h["msgs_per_s"]) for h in heads if h["series"] == s)
        x, mbs, mps = (list(v) for v in zip(*pts))
        top.plot(x, mbs, label=s, markersize=4, **styles[s])
        bottom.plot(x, mps, label=s, markersize=4, **styles[s])
    for ax, label in ((top, "throughput (MB/s = 10\u2076 bytes/s, log scale)"),
                      (bottom, "messages per second (log scale)")):
        ax.set_yscale("log")
        cc.plain_log_axis(ax.yaxis, si=ax is bottom)
        ax.set_ylabel(label)
    cc.size_axis(bottom, results.sizes("stream"))
    top.set_xlabel("")
    top.set_title("Stream throughput vs message size (one-way, "
                  "producer to consumer)")
    top.legend(title="transport:wait", ncol=2 if len(styles) > 6 else 1)
    cc.caption(fig, results)
    return fig, STEM


def main(argv=None):
    args = cc.parser(__doc__.split("\n\n")[0], STEM).parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
