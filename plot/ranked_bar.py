#!/usr/bin/python3
"""Transports ranked at one message size, best first: ping-pong p50 latency
with p99 marked (default, 64 B), or stream throughput (--scenario stream).
In a placement sweep every transport has a bar per placement, labelled with
it and hatched per placement.

    /usr/bin/python3 plot/ranked_bar.py results/<stamp>/results.json --size 64

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from ipcbench_results import PlotError

KINDS = {
    "pingpong": {"key": "p50_ns", "scale": 1e-3, "best": min,
                 "label": "round-trip latency (\u00b5s): bar p50, | p99",
                 "title": "Ping-pong round-trip latency p50 (p99 marked)"},
    "stream": {"key": "bytes_per_second", "scale": 1e-6, "best": max,
               "label": "throughput (MB/s = 10\u2076 bytes/s)",
               "title": "Stream throughput"},
}


def _not_measured(results, scenario, size):
    variants = cc.variants_of(results, scenario)
    gone = [h for h in results.select(scenario, size=size, ok_only=False)
            if h["status"] != "ok"]
    return "; ".join(f"{variants.label(h)} {h['status']}: {h['reason']}"
                     for h in gone)


def ranked_bars(results, series=None, scenario="pingpong", size=64):
    """[(label, headline)] of the scenario's benchmarks at `size`, best
    first: one bar per transport:wait, and per placement ("pipe:block,
    same") when the run swept several (cc.Variants)."""
    kind = KINDS[scenario]
    variants = cc.variants_of(results, scenario)
    heads = sorted(results.select(scenario, series, size),
                   key=lambda h: h[kind["key"]],
                   reverse=kind["best"] is not min)
    return [(variants.label(h), h) for h in heads]


def make_figure(results, plt, series=None, scenario="pingpong", size=64,
                scale="auto"):
    """The figure and its file stem; raises PlotError if there is no data."""
    kind = KINDS[scenario]
    bars = ranked_bars(results, series, scenario, size)
    if not bars:
        sizes = ", ".join(map(str, results.sizes(scenario))) or "none"
        raise PlotError(f"{results.path} has no successful {scenario} "
                        f"benchmark at {size} bytes (sizes with data: {sizes})",
                        "pass --size with one of those sizes, or --scenario")
    heads = [h for _, h in bars]
    variants = cc.variants_of(results, scenario)
    styles = cc.series_styles(results.all_series())
    values = [h[kind["key"]] * kind["scale"] for h in heads]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.45 * len(heads)))
    y = range(len(heads))
    hatched = {"hatch": [variants.hatch(h) for h in heads],
               "edgecolor": "white", "linewidth": 0} if variants.several else {}
    ax.barh(y, values, color=[styles[h["series"]]["color"] for h in heads],
            alpha=0.85, **hatched)
    ends = list(values)
    if scenario == "pingpong":
        p99 = [h["p99_ns"] * kind["scale"] for h in heads]
        ax.hlines(y, values, p99, colors="#333333", linewidth=1)
        ax.plot(p99, y, "|", color="#333333", markersize=14)
        ends = p99
    high, low = max(ends), min(values)
    log = scale == "log" or (scale == "auto" and high / max(low, 1e-12) > 30)
    if log:
        ax.set_xscale("log")
        cc.plain_log_axis(ax.xaxis)
    for i, h in enumerate(heads):
        text = (cc.fmt_ns(h["p50_ns"]) + f"  (p99 {cc.fmt_ns(h['p99_ns'])})"
                if scenario == "pingpong" else
                cc.fmt_rate(h["bytes_per_second"], "B/s"))
        ax.annotate(text, (ends[i], i), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(low / 2 if log else 0, high * (6 if log else 1.3))
    ax.set_yticks(list(y))
    ax.set_yticklabels([label for label, _ in bars])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(kind["label"] + (", log scale" if log else ""))
    ax.set_ylabel(f"{variants.title()} (best first)")
    ax.set_title(f"{kind['title']}, {cc.fmt_bytes(size)} messages")
    missing = _not_measured(results, scenario, size)
    notes = [variants.key_text(bars=True)] if variants.several else []
    if missing:
        notes.append(f"not measured: {missing}")
    cc.caption(fig, results, "\n".join(notes))
    return fig, f"ranked_bar_{scenario}_{size}"


def main(argv=None):
    p = cc.parser(__doc__.split("\n\n")[0], "ranked_bar_<scenario>_<size>")
    p.add_argument("--scenario", choices=sorted(KINDS), default="pingpong",
                   help="pingpong ranks p50 latency, stream ranks MB/s "
                   "(default: pingpong)")
    p.add_argument("--size", type=int, default=64,
                   help="message size in bytes (default: 64)")
    p.add_argument("--scale", choices=("auto", "log", "linear"),
                   default="auto", help="value axis (default: log when the "
                   "values span more than 30x)")
    args = p.parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports, args.scenario,
                            args.size, args.scale)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
