#!/usr/bin/python3
"""Transports ranked at one message size, best first, by their scenario's
headline figure (headlines.py): ping-pong p50 latency with p99 marked
(default, 64 B), stream throughput (--scenario stream), or another
scenario's. In a placement sweep every transport has a bar per placement,
labelled with it and hatched per placement.

    /usr/bin/python3 plot/ranked_bar.py results/<stamp>/results.json --size 64

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES, METRICS, UNITS, axis_label, best_first
from ipcbench_results import BATCH_MEANS, PlotError

# How a bar's figure is written beside it, by unit.
VALUE_TEXT = {"ns": cc.fmt_ns, "B/s": lambda v: cc.fmt_rate(v, "B/s"),
              "msgs/s": lambda v: cc.fmt_rate(v, "msgs/s")}


def title(h):
    """"Ping-pong round-trip latency p50 (p99 marked)", "Stream throughput"."""
    if not h.tail:
        return h.title
    return f"{h.title} {METRICS[h.key]} ({METRICS[h.tail]} marked)"


def bar_text(h, head):
    """"23.7 µs  (p99 5.75 ms)", "31 MB/s": the figure written by a bar."""
    text = VALUE_TEXT[h.unit](head[h.key])
    if head.get("batch_means"):
        text += f"  ({BATCH_MEANS})"
    elif h.tail:
        text += f"  ({METRICS[h.tail]} {VALUE_TEXT[h.unit](head[h.tail])})"
    return text


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
    variants = cc.variants_of(results, scenario)
    heads = best_first(HEADLINES[scenario],
                       results.select(scenario, series, size))
    return [(variants.label(h), h) for h in heads]


def make_figure(results, plt, series=None, scenario="pingpong", size=64,
                scale="auto"):
    """The figure and its file stem; raises PlotError if there is no data."""
    kind = HEADLINES[scenario]
    scale_to = UNITS[kind.unit].scale
    bars = ranked_bars(results, series, scenario, size)
    if not bars:
        sizes = ", ".join(map(str, results.sizes(scenario))) or "none"
        raise PlotError(f"{results.path} has no successful {scenario} "
                        f"benchmark at {size} bytes (sizes with data: {sizes})",
                        "pass --size with one of those sizes, or --scenario")
    heads = [h for _, h in bars]
    variants = cc.variants_of(results, scenario)
    styles = cc.series_styles(results.all_series())
    values = [h[kind.key] * scale_to for h in heads]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.45 * len(heads)))
    y = range(len(heads))
    hatched = {"hatch": [variants.hatch(h) for h in heads],
               "edgecolor": "white", "linewidth": 0} if variants.several else {}
    ax.barh(y, values, color=[styles[h["series"]]["color"] for h in heads],
            alpha=0.85, **hatched)
    ends = list(values)
    if kind.tail:
        # Batch means have no tail: no mark (bar_text says why).
        tails = [(h[kind.tail] if h[kind.tail] is not None else h[kind.key])
                 * scale_to for h in heads]
        ax.hlines(y, values, tails, colors="#333333", linewidth=1)
        ax.plot(tails, y, "|", color="#333333", markersize=14)
        ends = tails
    high, low = max(ends), min(values)
    log = scale == "log" or (scale == "auto" and high / max(low, 1e-12) > 30)
    if log:
        ax.set_xscale("log")
        cc.plain_log_axis(ax.xaxis)
    for i, h in enumerate(heads):
        ax.annotate(bar_text(kind, h), (ends[i], i), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(low / 2 if log else 0, high * (6 if log else 1.3))
    ax.set_yticks(list(y))
    ax.set_yticklabels([label for label, _ in bars])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(axis_label(kind, tail_as="mark")
                  + (", log scale" if log else ""))
    ax.set_ylabel(f"{variants.title()} (best first)")
    ax.set_title(f"{title(kind)}, {cc.fmt_bytes(size)} messages")
    missing = _not_measured(results, scenario, size)
    notes = [variants.key_text(bars=True)] if variants.several else []
    if missing:
        notes.append(f"not measured: {missing}")
    cc.caption(fig, results, "\n".join(notes))
    return fig, f"ranked_bar_{scenario}_{size}"


def main(argv=None):
    p = cc.parser(__doc__.split("\n\n")[0], "ranked_bar_<scenario>_<size>")
    p.add_argument("--scenario", choices=sorted(HEADLINES),
                   default="pingpong", help="whose headline figure is "
                   "ranked: pingpong p50 latency, stream MB/s, ... "
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
