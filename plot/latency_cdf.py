#!/usr/bin/python3
"""Ping-pong latency percentile spectrum at one message size (p0 .. p99.999),
one line per transport (and wait strategy; and placement, in a line style of
its own, in a placement sweep), drawn from the percentiles in the results
file (the full spectrum from its distributions.json.gz; without that side
file, coarsely, from the percentiles results.json keeps, said in the
caption). The x axis is HdrHistogram's: 1/(1-p) on a log scale, so that
p90, p99, p99.9 ... are evenly spaced.

    /usr/bin/python3 plot/latency_cdf.py results/<stamp>/results.json --size 4096

Bad values (results_check.py): a wrong type, or a setting or count out of
range, exits 2 naming the file and the field; a benchmark with a NaN,
infinite or negative figure (latency, throughput) is left out of the chart,
with a warning naming it and the figure. Ctrl-C exits 130 and leaves no
partial output.
"""

import sys

import chart_common as cc
from headlines import HEADLINES, axis_label
from ipcbench_results import PlotError, representative

TICKS = (0, 50, 90, 99, 99.9, 99.99, 99.999)


def spread(p):
    """Percentile p (0..100, below 100) -> position on the x axis."""
    return 1.0 / (1.0 - p / 100.0)


def _draw(ax, run, style, label, alpha=1.0):
    """One repetition: solid where the percentile is resolved by the sample
    count n, dotted beyond p = 1 - 1/n (there every percentile is the max)."""
    pts = [(p, v / 1e3) for p, v in run["percentiles_ns"].items() if p < 100]
    n = run["latency_count"] or 1
    solid = [(spread(p), v) for p, v in pts if (1 - p / 100) * n >= 1]
    tail = [(spread(p), v) for p, v in pts if (1 - p / 100) * n < 1]
    if solid:
        ax.plot(*zip(*solid), color=style["color"], linestyle=style["linestyle"],
                label=label, alpha=alpha, linewidth=1.6 if label else 0.7)
    if tail:
        head = solid[-1:] if solid else []
        ax.plot(*zip(*(head + tail)), color=style["color"], linestyle=":",
                alpha=alpha, linewidth=1.2 if label else 0.6)


def cdf_lines(results, series=None, size=64):
    """[(label, headline)] of the ping-pong benchmarks at `size`, fastest p50
    first: one line per transport:wait, and per placement ("pipe:block,
    same") when the run swept several (cc.Variants)."""
    variants = cc.variants_of(results, "pingpong")
    key = HEADLINES["pingpong"].key
    return [(variants.label(h), h) for h in sorted(
        results.select("pingpong", series, size), key=lambda h: h[key])
        if not h.get("batch_means")]


def make_figure(results, plt, series=None, size=64):
    """The figure and its file stem; raises PlotError if there is no data."""
    lines = cdf_lines(results, series, size)
    if not lines and results.select("pingpong", series, size):
        raise PlotError(f"{results.path}: every pingpong benchmark at {size} "
                        "bytes has batch means (clock timer), which have no "
                        "round-trip percentiles to draw",
                        "run where the CPU has an invariant TSC, with "
                        "--timer=auto or tsc")
    if not lines:
        sizes = ", ".join(map(str, results.sizes("pingpong"))) or "none"
        raise PlotError(f"{results.path} has no successful pingpong benchmark "
                        f"at {size} bytes (sizes with data: {sizes})",
                        "pass --size with one of those sizes")
    styles = cc.series_styles(results.all_series())
    colours = cc.series_colours(results.all_series())
    variants = cc.variants_of(results, "pingpong")
    fig, ax = plt.subplots(figsize=(cc.sweep_width(9, variants, len(lines)),
                                    5.6))
    for label, h in lines:
        style = variants.style(h, styles, colours)
        rep = representative(h["runs"])
        for run in h["runs"]:
            if run["status"] == "ok" and run is not rep:
                _draw(ax, run, style, None, alpha=0.35)
        n = rep["latency_count"]
        _draw(ax, rep, style, f"{label} (n={n})")
    ax.set_xscale("log")
    ax.set_xticks([spread(p) for p in TICKS])
    ax.set_xticklabels([f"p{p:g}" for p in TICKS])
    ax.minorticks_off()
    ax.set_xlabel("percentile (log scale of 1/(1\u2212p))")
    ax.set_yscale("log")
    cc.plain_log_axis(ax.yaxis)
    ax.set_ylabel(axis_label(HEADLINES["pingpong"], log=True, tail_as=None))
    ax.set_title(f"Ping-pong round-trip latency by percentile, "
                 f"{cc.fmt_bytes(size)} messages")
    if variants.several:
        cc.sweep_legend(ax, len(lines), f"{variants.title()}\n(samples), "
                        "fastest p50 first")
    else:
        ax.legend(title="transport:wait (samples), fastest p50 first")
    note = ("dotted: beyond p = 1\u22121/n, where the percentile is the "
            "largest sample")
    if variants.several:
        note = f"{variants.key_text()}; {note}"
    if not results.full_spectra:  # no side file: the kept percentiles only
        note = f"coarse: {results.spectra_note}; {note}"
    if results.max_repetitions() > 1:
        note += ("; thick line: the repetition with the median p50, "
                 "thin lines: the other repetitions")
    cc.caption(fig, results, note)
    return fig, f"latency_cdf_{size}"


def main(argv=None):
    p = cc.parser(__doc__.split("\n\n")[0], "latency_cdf_<size>")
    p.add_argument("--size", type=int, default=64,
                   help="message size in bytes (default: 64)")
    args = p.parse_args(argv)
    results, plt = cc.load_for_chart(args)
    fig, stem = make_figure(results, plt, args.transports, args.size)
    return cc.save_chart(args, fig, stem, plt)


if __name__ == "__main__":
    sys.exit(cc.run(main))
