#!/usr/bin/python3
"""Compares two ipcbench runs, A (before) and B (after): for every benchmark
in both, A, B and the ratio B/A of its scenario's headline figures
(headlines.py): p50 and p99 (ping-pong: round trip; one-way: driver to
peer; rate: latency from the intended send time), MB/s (stream), msgs/s
(fan-in: the consumer's aggregate); with repetitions on both sides, whether
the difference is statistically significant (two-sided Mann-Whitney U over
the per-repetition values, as Google Benchmark's compare.py does). Context
figures are shown beside them, neither tested nor charted: achieved rate
and missed slots (rate), send-to-receive p50 and p99 and Jain's fairness
index (fan-in), round trips per second of all pairs (ping-pong with
--pairs). Benchmarks are the same when scenario, transport,
wait, size, offered rate, producer count and pair count (--pairs) agree,
and, if either run is a placement sweep, the placement (preset; CPUs for a
custom one). Warns when the runs come from different machines, kernels,
builds or placements. With --out-dir, also writes a chart of the ratios
against message size (offered rate for rate, producers for fan-in).

    /usr/bin/python3 plot/compare.py A.json B.json [--out-dir DIR]

Bad values (results_check.py): a wrong type, or a setting or count out of
range, in either file exits 2 naming the file and the field; a benchmark
with a NaN, infinite or negative figure (latency, throughput) in either run
is compared with nothing: its rows say "A invalid: invalid figure: <field>
= <value>" (or B) and the chart leaves it out. Ctrl-C exits 130 and leaves
no partial output.
"""

import argparse
import math
import os
import sys

import chart_common as cc
from headlines import HEADLINES, METRICS as METRIC_NAMES
from ipcbench_results import PlotError, load


def fmt_count(v):
    """245124.5 -> "245,125"."""
    return f"{v:,.0f}"


# How the table writes a headline figure, by unit.
UNIT_TEXT = {"ns": cc.fmt_ns, "B/s": lambda v: f"{v / 1e6:,.1f}",
             "msgs/s": fmt_count}
# Context figures, shown with their ratio but neither tested nor charted,
# and only when either run has the figure: (metric, headline / row key,
# scenario, formatter, lower is better (None: neither)).
CONTEXT = (("trips/s", "round_trips_per_s", "pingpong", fmt_count, False),
           ("achieved/s", "achieved_per_s", "rate", fmt_count, None),
           ("missed", "missed_slots", "rate", fmt_count, True),
           ("p50", "p50_ns", "fanin", cc.fmt_ns, True),
           ("p99", "p99_ns", "fanin", cc.fmt_ns, True),
           ("Jain", "jain_index", "fanin", lambda v: f"{v:.4f}", False))


def _metrics():
    """(metric, row key, scenario, formatter, lower is better, headline):
    each scenario's headline figure and the one beside it (HEADLINES),
    tested and charted, then its context figures."""
    out = []
    for scenario, h in HEADLINES.items():
        out += [(METRIC_NAMES[field], field, scenario, UNIT_TEXT[h.unit],
                 not h.higher_is_better, True)
                for field in (h.key, h.tail) if field]
        out += [(*c, False) for c in CONTEXT if c[2] == scenario]
    return tuple(out)


METRICS = _metrics()
NO_REPS = "n/a (no repetitions)"
CONTEXT = "context, not tested"
# What the table's rows of a scenario mean, printed when it has some.
NOTES = {
    "oneway": "oneway: p50 and p99 are one-way latency, driver to peer "
              "(lower is better).",
    "rate": "rate: p50 and p99 are latency from the intended send time "
            "(lower is better); achieved/s and missed (send slots the sender "
            "fell behind on) are context.",
    "fanin": "fanin: msgs/s is the consumer's aggregate receive rate, all "
             "producers (higher is better); p50 and p99 (send to receive) "
             "and Jain (fairness, 1 = even) are context.",
}
PAIRS_NOTE = ("N_pairs: N pairs at once; MB/s and trips/s are the sum over "
              "the pairs, p50 and p99 over every pair's round trips.")


def key_of(h, by_placement=True):
    """What makes two benchmarks of different runs the same benchmark:
    scenario, transport, wait, size, offered rate (rate), number of
    producers (fan-in), with by_placement the placement (its preset, and
    its CPUs when it is a custom one: "cpus 2,3"), and the number of
    concurrent pairs (--pairs; 1 without)."""
    return (h["scenario"], h["transport"], h["wait"], h["message_bytes"],
            h["offered_per_s"], h["producers"],
            h["placement"] if by_placement else None, h["pairs"])


def _sort_key(places):
    """Rows in key order: scenario, transport, wait, size, offered rate,
    producers, pairs, then placement in run order."""
    return lambda k: (k[:4], k[4] or 0, k[5] or 0, k[7],
                      places.get(k[6], -1))


def swept(*runs):
    """True if any of the runs measured more than one placement: then
    benchmarks are matched placement by placement. Between runs of one
    placement each they are matched whatever the placements (a difference
    is warned about, see ENV_CHECKS)."""
    return any(len({h["placement"] for h in r.headlines}) > 1 for r in runs)


def _placement_order(*runs):
    """placement label -> position, in the order the runs measured them."""
    order = {}
    for r in runs:
        for h in r.headlines:
            order.setdefault(h["placement"], len(order))
    return order


def _name_shows_placement(h):
    """True if the benchmark's name ends in its placement ("/same", "/0:1"),
    as names do in a sweep."""
    preset = h["placement_preset"]
    suffix = (f"{h['driver_cpu']}:{h['peer_cpu']}" if preset == "custom"
              else preset)
    return suffix in h["name"].split("/")[3:]


def _name_shows_pairs(h):
    """True if the benchmark's name says its pair count ("/2_pairs"), as
    ipcbench names them with --pairs N > 1."""
    return f"{h['pairs']}_pairs" in h["name"].split("/")[3:]


def shown_name(h, by_placement):
    """The benchmark's name, with its placement in parentheses when
    benchmarks are matched by placement and the name does not say it, and
    its pair count when more than one and the name does not say it."""
    extra = []
    if by_placement and not _name_shows_placement(h):
        extra.append(h["placement"])
    if h["pairs"] != 1 and not _name_shows_pairs(h):
        extra.append(f"{h['pairs']} pairs")
    return f"{h['name']} ({', '.join(extra)})" if extra else h["name"]


def line_label(h, by_placement, several_sizes, several_pairs):
    """The chart line a benchmark's ratios are drawn on: transport:wait,
    its placement when matched by placement, its size for rate and fan-in
    (drawn against offered rate and producers) when their rows have several,
    its pair count when the rows have several."""
    parts = [h["series"]]
    if by_placement:
        parts.append(h["placement"])
    if several_sizes:
        parts.append(cc.fmt_bytes(h["message_bytes"]))
    if several_pairs:
        parts.append(f"{h['pairs']} pair{'s' if h['pairs'] != 1 else ''}")
    return ", ".join(parts)


def significance(a_values, b_values, alpha, mannwhitneyu):
    """The verdict of a two-sided Mann-Whitney U test, as text."""
    if len(a_values) < 2 or len(b_values) < 2:
        return NO_REPS, None
    if a_values == b_values or len(set(a_values + b_values)) == 1:
        p = 1.0
    else:
        p = float(mannwhitneyu(a_values, b_values,
                               alternative="two-sided").pvalue)
    verdict = "significant" if p < alpha else "not significant"
    text = f"{verdict} (p={p:.3g}, {len(a_values)} vs {len(b_values)} reps)"
    # The smallest two-sided p an exact test can give with these counts.
    floor = 2 / math.comb(len(a_values) + len(b_values), len(a_values))
    if floor >= alpha:
        text += f"; {len(a_values)} vs {len(b_values)} reps cannot reach " \
                f"p<{alpha:g}, use 5+ each"
    elif min(len(a_values), len(b_values)) < 9:
        text += "; 9+ reps recommended"
    return text, p


def compare_rows(a, b, alpha=0.05, mannwhitneyu=None):
    """One dict per (benchmark, metric) present in both runs (matched by
    key_of; by placement too when either run is a placement sweep), plus the
    names of benchmarks found in only one of them. A row's "headline" says
    whether its figure is tested and charted; "lower_is_better" which way
    is better (None: neither)."""
    by_placement = swept(a, b)
    a_heads = {key_of(h, by_placement): h for h in a.headlines}
    b_heads = {key_of(h, by_placement): h for h in b.headlines}
    places = _placement_order(a, b)
    common = sorted(a_heads.keys() & b_heads.keys(), key=_sort_key(places))
    # Per scenario, whether its chart lines must say the size (rate and
    # fan-in, drawn against rate and producers) or pair count: when the
    # benchmarks measured on both sides have more than one.
    spread = {}
    for k in common:
        if a_heads[k]["status"] == b_heads[k]["status"] == "ok":
            sizes, pairs = spread.setdefault(k[0], (set(), set()))
            sizes.add(k[3])
            pairs.add(k[7])
    lines_by = {s: (s in ("rate", "fanin") and len(sizes) > 1, len(pairs) > 1)
                for s, (sizes, pairs) in spread.items()}
    rows = []
    for key in common:
        ha, hb = a_heads[key], b_heads[key]
        for metric, field, scenario, fmt, lower, headline in METRICS:
            if scenario != key[0]:
                continue
            if not headline and ha[field] is None and hb[field] is None:
                continue  # a context figure neither run has
            by_size, by_pairs = lines_by.get(scenario, (False, False))
            line = line_label(hb, by_placement, by_size, by_pairs)
            row = {"name": shown_name(hb, by_placement),
                   "series": hb["series"],
                   "scenario": key[0], "message_bytes": key[3],
                   "offered_per_s": key[4], "producers": key[5],
                   "placement": key[6], "pairs": key[7], "line": line,
                   "line_by_size": by_size, "line_by_pairs": by_pairs,
                   "metric": metric, "fmt": fmt, "lower_is_better": lower,
                   "headline": headline,
                   "a": ha[field], "b": hb[field], "ratio": None,
                   "significance": "", "p": None}
            if ha["status"] != "ok" or hb["status"] != "ok":
                bad = ha if ha["status"] != "ok" else hb
                side = "A" if bad is ha else "B"
                row["significance"] = f"{side} {bad['status']}: {bad['reason']}"
                rows.append(row)
                continue
            if row["a"] and row["b"] is not None:
                row["ratio"] = row["b"] / row["a"]
            values = lambda h: [r[field] for r in h["runs"]  # noqa: E731
                                if r["status"] == "ok" and r[field] is not None]
            if not headline:
                row["significance"] = CONTEXT
            elif mannwhitneyu is None:
                row["significance"] = NO_REPS
            else:
                row["significance"], row["p"] = significance(
                    values(ha), values(hb), alpha, mannwhitneyu)
            rows.append(row)
    only_a = sorted(shown_name(a_heads[k], by_placement)
                    for k in a_heads.keys() - b_heads.keys())
    only_b = sorted(shown_name(b_heads[k], by_placement)
                    for k in b_heads.keys() - a_heads.keys())
    return rows, only_a, only_b


ENV_CHECKS = (
    ("come from different machines", "the ratios mix hardware with the "
     "change you meant to measure",
     (("hostname", lambda r: r.environment.get("hostname")),
      ("CPU", lambda r: r.environment.get("cpu_model")),
      ("CPUs online", lambda r: r.environment.get("cpus_online")))),
    ("ran on different kernels", "kernel changes move IPC figures; compare "
     "runs on one kernel",
     (("kernel", lambda r: r.environment.get("kernel")),
      ("kernel build", lambda r: r.environment.get("kernel_version")))),
    ("come from different builds", "expected if you are comparing code "
     "changes; otherwise rebuild the same commit with the same flags",
     (("git commit", lambda r: _build(r).get("git_commit")),
      ("compiler", lambda r: _build(r).get("compiler")),
      ("compiler flags", lambda r: _build(r).get("cxx_flags")),
      ("build type", lambda r: _build(r).get("build_type")))),
    ("used different placements", "pass the same --cpus to both runs",
     (("", lambda r: r.placement_text()),)),
)


def _build(results):
    return results.environment.get("build") or {}


def environment_warnings(a, b):
    """Lines saying how the two runs' machines, kernels or builds differ."""
    out = []
    for what, advice, fields in ENV_CHECKS:
        diffs = [f"{label} {get(a)!s} vs {get(b)!s}".strip() for label, get
                 in fields if get(a) != get(b)]
        if diffs:
            out.append(f"A and B {what} ({'; '.join(diffs)}) \u2014 {advice}")
    for side, r in (("A", a), ("B", b)):
        commit = str(_build(r).get("git_commit", ""))
        if commit.endswith("-dirty"):
            out.append(f"{side} was built from a modified tree ({commit}) "
                       "\u2014 its code is not exactly that commit; commit "
                       "before measuring")
        if not r.complete:
            out.append(f"{side} is an incomplete run \u2014 only the "
                       "benchmarks that finished are compared")
    return out


def fmt_ratio(ratio):
    """1.5 -> "1.500", 0.00104 -> "0.00104"; None -> a dash."""
    if ratio is None:
        return "\u2014"
    return f"{ratio:.3f}" if ratio >= 0.1 else f"{ratio:.3g}"


def print_table(rows, only_a, only_b, a, b, alpha):
    def describe(r):
        env = r.environment
        reps = r.max_repetitions()
        return (f"{r.path} ({env.get('hostname', '?')}, "
                f"{str(r.context.get('date', '?'))[:16].replace('T', ' ')}, "
                f"{reps} repetition{'s' if reps != 1 else ''})")
    print(f"A: {describe(a)}\nB: {describe(b)}")
    print("Headline figures are medians across repetitions; p50 and p99 are "
          "the harness's own percentiles.")
    for scenario, note in NOTES.items():
        if any(r["scenario"] == scenario for r in rows):
            print(note)
    if any(r["pairs"] != 1 for r in rows):
        print(PAIRS_NOTE)
    width = max([len(r["name"]) for r in rows] + [9])
    mwidth = max([len(r["metric"]) for r in rows] + [6])
    print(f"{'benchmark':<{width}}  {'metric':<{mwidth}} {'A':>11} {'B':>11} "
          f"{'B/A':>7}  significance (Mann-Whitney U, alpha {alpha:g})")
    for r in rows:
        fmt = r["fmt"]
        a_text = fmt(r["a"]) if r["a"] is not None else "\u2014"
        b_text = fmt(r["b"]) if r["b"] is not None else "\u2014"
        ratio = fmt_ratio(r["ratio"])
        print(f"{r['name']:<{width}}  {r['metric']:<{mwidth}} {a_text:>11} "
              f"{b_text:>11} {ratio:>7}  {r['significance']}")
    for side, names in (("A", only_a), ("B", only_b)):
        if names:
            print(f"only in {side}: {', '.join(names)}")


# The chart's panels, one per scenario of HEADLINES: scenario, title, x
# axis (row key), which way is better; each draws its scenario's headline
# metrics (p99 thin).
PANELS = tuple(
    (scenario, f"{h.title}{'' if h.tail else f' ({METRIC_NAMES[h.key]})'}"
     ", B/A", h.swept, f"{'above' if h.higher_is_better else 'below'} 1: "
     "B faster") for scenario, h in HEADLINES.items())


def _variant(h, by_placement, by_size, by_pairs):
    """What tells apart the lines of one transport:wait in a panel (see
    line_label), for its line style."""
    return (h["placement"] if by_placement else None,
            h["message_bytes"] if by_size else None,
            h["pairs"] if by_pairs else None)


def _x_axis(ax, field, values):
    """Message size (log2), offered rate (log10, "10k/s") or producers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter
    if field == "message_bytes":
        cc.size_axis(ax, values)
        return
    if field == "offered_per_s":
        ax.set_xscale("log")
        label = "offered rate (messages/s, log scale)"
        text = lambda v, _: f"{cc.fmt_rate(v).replace(' ', '')}/s"  # noqa
    else:
        ax.set_xscale("log", base=2)
        label = "producers (log scale)"
        text = lambda v, _: f"{v:g}"  # noqa: E731
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_major_formatter(FuncFormatter(text))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(label)


def make_figure(rows, a, b, plt):
    """Ratio B/A of the headline figures: p50 (and p99, thin) against
    message size for ping-pong, MB/s for stream, p50 and p99 against offered
    rate for rate, msgs/s against producers for fan-in; one line per
    transport:wait, and per placement, size (rate, fan-in) or pair count
    when rows differ in it (a line style each)."""
    headline = [r for r in rows if r["headline"]]
    panels = [p for p in PANELS
              if any(r["scenario"] == p[0] and r["ratio"] for r in headline)]
    if not panels:
        raise PlotError("A and B have no successful benchmark in common",
                        "compare runs of the same transports and sizes")
    all_series = sorted({r["series"] for r in rows})
    styles = cc.series_styles(all_series)
    places = _placement_order(a, b)
    by_placement = any(r["placement"] for r in rows)
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 4.2 * len(panels)),
                             squeeze=False)
    for ax, (scenario, title, x_field, better) in zip(axes[:, 0], panels):
        mine = [r for r in headline if r["scenario"] == scenario]
        variant = lambda h: _variant(  # noqa: E731
            h, by_placement, mine[0]["line_by_size"],
            mine[0]["line_by_pairs"])
        # Line styles by variant: placements in run order, then sizes and
        # pair counts ascending, over both runs' benchmarks of the scenario.
        order = sorted({variant(h) for r in (a, b) for h in r.headlines
                        if h["scenario"] == scenario},
                       key=lambda v: (places.get(v[0], -1), v[1] or 0,
                                      v[2] or 0))
        lines = sorted({(r["series"], r["line"], variant(r)) for r in mine},
                       key=lambda x: (x[0], order.index(x[2])))
        if by_placement or len({v for _, _, v in lines}) > 1:
            colours = cc.series_colours(all_series)
            line_styles = {line: dict(styles[s], color=colours[s], linestyle=(
                cc.VARIANT_LINESTYLES[order.index(v) % len(
                    cc.VARIANT_LINESTYLES)])) for s, line, v in lines}
            p99_style = {line: st["linestyle"] for line, st in
                         line_styles.items()}
        else:
            line_styles = {line: styles[s] for s, line, _ in lines}
            p99_style = {line: ":" for _, line, _ in lines}
        for metric in [m for m, _, sc, _, _, head in METRICS
                       if sc == scenario and head]:
            for _, line, _ in lines:
                pts = sorted((r[x_field], r["ratio"]) for r in mine
                             if r["line"] == line and r["metric"] == metric
                             and r["ratio"])
                if not pts:
                    continue
                thin = metric == "p99"
                st = line_styles[line]
                ax.plot(*zip(*pts), label=f"{line} {metric}", markersize=4,
                        alpha=0.45 if thin else 1, linewidth=0.9 if thin
                        else 1.6, **dict(st, linestyle=p99_style[line]
                                         if thin else st["linestyle"]))
        ax.axhline(1.0, color="#333333", linewidth=0.8)
        _x_axis(ax, x_field, sorted({r[x_field] for r in rows
                                     if r["scenario"] == scenario
                                     and r[x_field] is not None}))
        ax.set_yscale("log")
        cc.plain_log_axis(ax.yaxis)
        ax.set_ylabel(f"ratio B/A (log scale; {better})")
        ax.set_title(title)
        ax.legend(ncol=2, fontsize=7)
    fig.suptitle(f"ipcbench runs compared: A = {short_path(a.path)}, "
                 f"B = {short_path(b.path)}")
    fig.text(0.01, 0.005, f"A: {a.machine_caption()}\nB: "
             f"{b.machine_caption()}", fontsize=7, color="#444444",
             va="bottom")
    fig.tight_layout(rect=(0, 0.06 if len(panels) == 1 else 0.035, 1, 1))
    return fig


def _pairs_text(a, b):
    """" (A ran 1 pair at once, B 2)" when the runs have no pair count in
    common: benchmarks of different pair counts are never compared."""
    pa = sorted({h["pairs"] for h in a.headlines})
    pb = sorted({h["pairs"] for h in b.headlines})
    if set(pa) & set(pb):
        return ""
    text = lambda p: ", ".join(map(str, p))  # noqa: E731
    return (f" (A ran {text(pa)} pair{'s' if pa != [1] else ''} at once, "
            f"B {text(pb)})")


def short_path(path):
    """results/20260101T000000Z/results.json -> 20260101T000000Z/results.json"""
    parts = os.path.abspath(path).split(os.sep)
    return os.path.join(*parts[-2:])


def import_scipy_test():
    try:
        from scipy.stats import mannwhitneyu
    except ImportError as e:
        raise PlotError(f"scipy is not importable ({e})",
                        "install Debian's python3-scipy (apt-get install "
                        "python3-scipy) and run with /usr/bin/python3",
                        exit_code=3) from None
    return mannwhitneyu


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Exit status: 0 compared, 2 bad input, 3 missing package.")
    p.add_argument("a", metavar="A.json", help="the baseline run")
    p.add_argument("b", metavar="B.json", help="the run compared with it")
    p.add_argument("--out-dir", help="write NAME.png and NAME.svg here "
                   "(default: no chart)")
    p.add_argument("--name", default="compare",
                   help="chart file stem (default: compare)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="significance level (default: 0.05)")
    args = p.parse_args(argv)
    a, b = load(args.a), load(args.b)
    plt = cc.import_pyplot() if args.out_dir else None
    test = None
    if a.max_repetitions() > 1 and b.max_repetitions() > 1:
        test = import_scipy_test()
    rows, only_a, only_b = compare_rows(a, b, args.alpha, test)
    if not rows:
        raise PlotError(f"{args.a} and {args.b} have no benchmark in common"
                        + _pairs_text(a, b),
                        "compare runs of the same transports, scenarios, "
                        "sizes and --pairs")
    charts = []
    if plt:
        rendered = cc.render(make_figure(rows, a, b, plt), plt)
        charts = cc.write_outputs(args.out_dir, {
            f"{args.name}.{k}": v for k, v in rendered.items()})
    for w in environment_warnings(a, b):
        print(f"plot: warning: {w}", file=sys.stderr)
    print_table(rows, only_a, only_b, a, b, args.alpha)
    for path in charts:
        print(f"chart: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(cc.run(main))
