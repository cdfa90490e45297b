#!/usr/bin/python3
"""Fan-out (one producer, N consumer processes each receiving every
message): the messages/s delivered, all consumers together, against the
number of consumers, one line per transport (and wait strategy); below it
the share of messages the consumers missed, and the send-to-receive
latency (p50, p99 thin); one column per message size. A transport that may
drop messages for a slow consumer is drawn with hollow markers and
"(may drop)" in the legend, and its loss is written beside each point,
whatever its size; a lossless one loses nothing by design (a missing
message fails its benchmark).

    /usr/bin/python3 plot/fanout_throughput.py results/<stamp>/results.json

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput, loss) is left out of the
chart, with a warning naming it and the figure. Ctrl-C exits 130 and
leaves no partial output.
"""

import sys

import chart_common as cc
from fanin_throughput import count_axis, cpus_available, shade_oversubscribed
from headlines import HEADLINES, UNITS

STEM = "fanout_throughput"
HEADLINE = HEADLINES["fanout"]  # messages/s delivered, all consumers
FIELDS = ("consumers", "delivery", HEADLINE.key, "loss_fraction", "p50_ns",
          "p99_ns")
MAY_DROP = "may drop"  # what legends call a delivery of "may_drop"


def fanout_points(results, series=None):
    """{size: {(series, label): [point, ...]}}, points by number of
    consumers; each point holds the file's consumers, delivery ("lossless"
    or "may_drop"), delivered_msgs_per_s (all consumers together),
    loss_fraction, p50_ns and p99_ns (send to receive, every consumer's
    samples). A line of a transport that may drop says so in its label."""
    out = {}
    several = len(results.placements("fanout")) > 1
    for size in results.sizes("fanout"):
        lines = {}
        for (s, label), group in cc.by_line(
                results.select("fanout", series, size), several).items():
            pts = sorted(({k: h[k] for k in FIELDS} for h in group),
                         key=lambda p: p["consumers"])
            if any(p["delivery"] != "lossless" for p in pts):
                label += f" ({MAY_DROP})"
            lines[(s, label)] = pts
        if lines:
            out[size] = lines
    return out


def loss_text(fraction):
    """0.9673 -> "96.7 % lost", 0.00012 -> "0.012 % lost", 0 -> "none
    lost"."""
    if not fraction:
        return "none lost"
    percent = fraction * 100
    return f"{percent:.3g} % lost" if percent < 10 else \
        f"{percent:.1f} % lost"


def _draw_line(top, mid, bottom, pts, label, st, nth_lossy):
    """One transport's points in the three panels of a column; its loss
    texts (if it may drop) nth_lossy lines below those of the lines that
    may drop drawn before it, so that equal losses do not overwrite each
    other."""
    x = [p["consumers"] for p in pts]
    hollow = any(p["delivery"] != "lossless" for p in pts)
    marker = dict(st, markerfacecolor="white") if hollow else st
    top.plot(x, [p[HEADLINE.key] for p in pts], label=label, markersize=6,
             **marker)
    mid.plot(x, [p["loss_fraction"] * 100 for p in pts], markersize=6,
             **marker)
    if hollow:  # the loss in words too: a small one is not seen on the axis
        for p in pts:
            mid.annotate(loss_text(p["loss_fraction"]),
                         (p["consumers"], p["loss_fraction"] * 100),
                         textcoords="offset points",
                         xytext=(6, 3 - 9 * nth_lossy),
                         fontsize=7, color=st["color"])
    scale = UNITS["ns"].scale
    for key, thin in (("p50_ns", False), ("p99_ns", True)):
        xy = [(p["consumers"], p[key] * scale) for p in pts
              if p[key] is not None]
        if xy:
            bottom.plot(*zip(*xy), markersize=4 if thin else 5,
                        alpha=0.5 if thin else 1,
                        linewidth=0.9 if thin else 1.5,
                        **dict(marker, linestyle=":" if thin
                               else st["linestyle"]))


def make_figure(results, plt, series=None):
    """The figure and its file stem; raises PlotError if there is no data."""
    points = fanout_points(results, series)
    if not points:
        raise cc.no_data(results, "fanout benchmarks",
                         "run ipcbench with --scenarios=fanout and a "
                         "transport that offers it (ipcbench --list)")
    styles = cc.series_styles(results.all_series())
    n = len(points)
    fig, grid = plt.subplots(3, n, squeeze=False, sharex="col", sharey="row",
                             figsize=(4.6 * n + 4.0, 10.5),
                             gridspec_kw={"height_ratios": (2, 1, 1.6)})
    cpus = cpus_available(results)
    shaded = False
    for col, (size, lines) in enumerate(points.items()):
        top, mid, bottom = grid[0][col], grid[1][col], grid[2][col]
        counts = sorted({p["consumers"] for pts in lines.values()
                         for p in pts})
        lossy = 0
        for (s, label), pts in lines.items():
            _draw_line(top, mid, bottom, pts, label, styles[s], lossy)
            lossy += label.endswith(f"({MAY_DROP})")
        shaded |= shade_oversubscribed((top, mid, bottom), counts, cpus)
        count_axis(bottom, counts)
        top.set_title(f"{cc.fmt_bytes(size)} messages")
        top.set_yscale("log")
        cc.plain_log_axis(top.yaxis, si=True, minor=True)
        mid.set_ylim(-5, 118)  # room above 100 % for the loss texts
        mid.set_yticks((0, 25, 50, 75, 100))
        bottom.set_yscale("log")
        cc.plain_log_axis(bottom.yaxis)
        bottom.set_xlabel("consumers (log scale)")
    grid[0][0].set_ylabel("messages/s delivered, all\nconsumers together "
                          "(log scale)")
    grid[1][0].set_ylabel("messages lost (% of\nconsumers \u00d7 sent)")
    grid[2][0].set_ylabel(f"send to receive ({UNITS['ns'].axis}, log):\n"
                          "p50, p99 dotted")
    several = len(results.placements("fanout")) > 1
    cc.outside_legend(grid[0][-1], title="transport:wait"
                      + (", placement" if several else ""))
    fig.suptitle("Fan-out: delivered throughput, loss and latency against "
                 "the number of consumers")
    note = ("each point is one run with one producer and N consumer "
            "processes; hollow markers, \"(may drop)\": the transport may "
            "drop messages for a slow consumer, its loss written beside "
            "each point; filled: lossless")
    if shaded:
        note += (f"; grey: more processes (consumers + producer) than the "
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
